/**
 * Wire details every Twilio messaging fake shares: the REST error shape, SIDs,
 * RFC 2822 dates, WhatsApp channel addresses, and posting a form signed the
 * way Twilio signs its webhooks (X-Twilio-Signature = HMAC-SHA1 over the URL
 * it was configured with plus every posted field, computed here with the
 * twilio library itself so the fake cannot drift from the validator).
 */
import { randomBytes, randomUUID } from "node:crypto";
import twilio from "twilio";
import { postForm } from "./http";

/** Twilio's REST error body: {code, message, more_info, status}. */
export function twilioError(code: number, message: string, status: number) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}
export type TwilioErrorBody = ReturnType<typeof twilioError>;

/** A Twilio SID: two-letter prefix plus 32 hex digits (SM, MM, HX, XE, ME…). */
export function newSid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString("hex")}`;
}

/** The date format of the 2010-04-01 API: "Thu, 24 Aug 2023 05:01:45 +0000". */
export function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

export const E164 = /^\+[1-9]\d{7,14}$/;

/** "whatsapp:+5215512345678" for "+5215512345678" or the address itself. */
export function whatsappAddress(number: string): string {
  return number.startsWith("whatsapp:") ? number : `whatsapp:${number}`;
}

/** "+5215512345678" for "whatsapp:+5215512345678". */
export function bareNumber(address: string): string {
  return address.replace(/^whatsapp:/, "");
}

export interface SignedPost {
  /** The URL Twilio signed (the one configured in Twilio, usually public). */
  url: string;
  params: Record<string, string>;
  /** The X-Twilio-Signature sent, or null when the post went unsigned. */
  signature: string | null;
  /** HTTP status of the answer, or 0 when the connection failed. */
  status: number;
  body: string;
}

/**
 * POSTs `params` form-encoded to `postTo` (defaults to `url`), signed for `url`.
 * `signature: null` sends no header; a string sends that (forged) value instead.
 */
export async function postSignedForm(
  authToken: string,
  url: string,
  params: Record<string, string>,
  options: { postTo?: string; signature?: string | null; headers?: Record<string, string> } = {},
): Promise<SignedPost> {
  const signature = options.signature === undefined ? twilio.getExpectedTwilioSignature(authToken, url, params) : options.signature;
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    "user-agent": "TwilioProxy/1.1",
    "i-twilio-idempotency-token": randomUUID(),
    ...options.headers,
  };
  if (signature !== null) headers["x-twilio-signature"] = signature;
  try {
    // A webhook that never answers must not hang the fake (Twilio gives up after 15 s).
    const response = await postForm(options.postTo ?? url, headers, new URLSearchParams(params).toString(), 15_000);
    return { url, params, signature, ...response };
  } catch (error) {
    return { url, params, signature, status: 0, body: String(error) };
  }
}

export { listeningSwitch } from "./http";
