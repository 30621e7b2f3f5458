/**
 * The official twilio client, on our transport (twilio-http-client.ts),
 * optionally pointed at another REST base (TWILIO_API_BASE: a regional edge,
 * a proxy, or the fake in tests): every request to https://*.twilio.com keeps
 * its path and goes to that base.
 */
import twilio from "twilio";
import { TwilioHttpClient } from "./twilio-http-client";

export type TwilioClient = ReturnType<typeof twilio>;

export function createTwilioClient(accountSid: string, authToken: string, apiBase: string | undefined): TwilioClient {
  return twilio(accountSid, authToken, { httpClient: new TwilioHttpClient(apiBase?.replace(/\/$/, "")) });
}
