/**
 * Sends WhatsApp messages through Twilio's Messages API with the official
 * client: free text (`Body`) or an approved template / rich content
 * (`ContentSid` + `ContentVariables`), every message with our status callback.
 * One retry policy, as for Telegram: only what certainly did not reach Twilio
 * is sent again (429, 5xx, a connection never made); errors come out
 * classified, and a send whose outcome is unknown is never repeated.
 */
import twilio from "twilio";
import type { TwilioClient } from "../src/channels/twilio-client";
import { neverReachedServer, OutsideWindowError, PermanentDeliveryError, TransientDeliveryError, UnknownDeliveryError } from "../src/channels/delivery-errors";
import type { WhatsAppOutbound } from "../src/channels/whatsapp-outbound";
import type { Logger } from "../src/logger";

export interface WhatsAppMessage {
  /** The lead's number, E.164. */
  to: string;
  body?: string;
  contentSid?: string;
  contentVariables?: Record<string, string>;
}

export interface WhatsAppSent {
  sid: string;
  status: string;
  attempts: number;
}

export interface WhatsAppSender extends WhatsAppOutbound {
  send(message: WhatsAppMessage): Promise<WhatsAppSent>;
}

/** Twilio codes that mean this number cannot get WhatsApp messages (invalid, not on WhatsApp, blocked). */
export const UNREACHABLE_CODES = new Set([21211, 21614, 63003, 63024, 63032]);
export const OUTSIDE_WINDOW_CODE = 63016;

export interface WhatsAppSenderOptions {
  client: TwilioClient;
  /** Our sender, "whatsapp:+E164". */
  from: string;
  statusCallbackUrl: string;
  maxAttempts: number;
  retryBaseMs: number;
  log: Logger;
}

export function createWhatsAppSender(options: WhatsAppSenderOptions): WhatsAppSender {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const sender: WhatsAppSender = {
    sendText: (to, body) => sender.send({ to, body }),
    sendTemplate: (to, contentSid, variables) => sender.send({ to, contentSid, contentVariables: variables }),
    async send(message) {
      for (let attempt = 1; ; attempt++) {
        try {
          const created = await options.client.messages.create({
            from: options.from,
            to: `whatsapp:${message.to}`,
            statusCallback: options.statusCallbackUrl,
            ...(message.contentSid
              ? { contentSid: message.contentSid, ...(message.contentVariables && { contentVariables: JSON.stringify(message.contentVariables) }) }
              : { body: message.body ?? "" }),
          });
          return { sid: created.sid, status: created.status, attempts: attempt };
        } catch (error) {
          const classified = classifyTwilioError(error);
          classified.attempts = attempt;
          if (classified instanceof TransientDeliveryError && attempt < options.maxAttempts) {
            const waitMs = options.retryBaseMs * 2 ** (attempt - 1);
            options.log.warn({ attempt, wait_ms: waitMs, reason: classified.message }, "WhatsApp message not delivered, retrying");
            await pause(waitMs);
            continue;
          }
          throw classified;
        }
      }
    },
  };
  return sender;
}

/** A Twilio answer or a network failure, as what the caller may do next. */
export function classifyTwilioError(error: unknown): PermanentDeliveryError | TransientDeliveryError | UnknownDeliveryError {
  if (error instanceof twilio.RestException) {
    const text = `Twilio ${error.code ?? error.status}: ${error.message}`;
    if (error.status === 429 || error.status >= 500) return new TransientDeliveryError(text);
    if (error.code === OUTSIDE_WINDOW_CODE) return new OutsideWindowError();
    return new PermanentDeliveryError(text, error.code !== undefined && UNREACHABLE_CODES.has(error.code));
  }
  const code = typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : "network";
  return neverReachedServer(error)
    ? new TransientDeliveryError(`Sin conexión con Twilio (${code}): el mensaje no salió`)
    : new UnknownDeliveryError(`Twilio no confirmó el envío (${code})`);
}
