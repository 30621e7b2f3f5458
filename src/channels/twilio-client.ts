/**
 * The official twilio client, optionally pointed at another REST base
 * (TWILIO_API_BASE: a regional edge, a proxy, or the fake in tests): every
 * request to https://*.twilio.com keeps its path and goes to that base.
 */
import twilio from "twilio";

export type TwilioClient = ReturnType<typeof twilio>;

export function createTwilioClient(accountSid: string, authToken: string, apiBase: string | undefined): TwilioClient {
  if (!apiBase) return twilio(accountSid, authToken);
  const base = apiBase.replace(/\/$/, "");
  class RebasedRequestClient extends twilio.RequestClient {
    override request<TData>(opts: Parameters<twilio.RequestClient["request"]>[0]) {
      return super.request<TData>({ ...opts, uri: opts.uri.replace(/^https:\/\/[a-z0-9.-]+\.twilio\.com/, base) } as never);
    }
  }
  return twilio(accountSid, authToken, { httpClient: new RebasedRequestClient() });
}
