/**
 * What Twilio posts for WhatsApp (https://www.twilio.com/docs/messaging/guides/webhook-request
 * and the WhatsApp additions), as zod schemas. Every value is a string; the
 * objects are loose because Twilio adds fields (all part of the signature).
 */
import { z } from "zod";

const messageSid = z.string().regex(/^(SM|MM)[0-9a-zA-Z]{1,64}$/);
const whatsappAddress = z.string().regex(/^whatsapp:\+[1-9]\d{6,14}$/);
const optionalText = (max: number) => z.string().max(max).optional();

/** An inbound WhatsApp message: text, media, a location, a button or list answer, maybe from an ad. */
export const inboundMessageSchema = z.looseObject({
  MessageSid: messageSid,
  AccountSid: z.string().regex(/^AC[0-9a-zA-Z]{1,64}$/),
  From: whatsappAddress,
  To: whatsappAddress,
  /** The sender's WhatsApp id: the number's digits. */
  WaId: z.string().regex(/^[1-9]\d{6,14}$/).optional(),
  ProfileName: optionalText(256),
  Body: z.string().max(4_096).default(""),
  NumMedia: z.string().regex(/^\d{1,2}$/).default("0"),
  MediaContentType0: optionalText(128),
  Latitude: z.string().regex(/^-?\d{1,3}(\.\d+)?$/).optional(),
  Longitude: z.string().regex(/^-?\d{1,3}(\.\d+)?$/).optional(),
  Address: optionalText(500),
  Label: optionalText(256),
  ButtonPayload: optionalText(256),
  ButtonText: optionalText(256),
  ListId: optionalText(256),
  ListTitle: optionalText(256),
  ReferralSourceId: optionalText(256),
  ReferralSourceType: optionalText(64),
  ReferralSourceUrl: optionalText(2_048),
  ReferralHeadline: optionalText(512),
  ReferralBody: optionalText(2_048),
  ReferralCtwaClid: optionalText(512),
});

export type InboundMessage = z.infer<typeof inboundMessageSchema>;

export const MESSAGE_STATUS_VALUES = ["accepted", "scheduled", "queued", "sending", "sent", "delivered", "read", "failed", "undelivered", "canceled", "receiving", "received"] as const;

/** A status callback for a message we sent. */
export const statusCallbackSchema = z.looseObject({
  MessageSid: messageSid,
  MessageStatus: z.enum(MESSAGE_STATUS_VALUES),
  ErrorCode: z.string().regex(/^\d{1,8}$/).optional(),
});

export type StatusCallback = z.infer<typeof statusCallbackSchema>;

/** The click-to-WhatsApp ad a message came from, as the lead's source detail; null when it came from none. */
export function adReferral(message: InboundMessage): Record<string, string> | null {
  const fields = {
    ad_id: message.ReferralSourceId,
    ad_type: message.ReferralSourceType,
    ad_url: message.ReferralSourceUrl,
    ad_headline: message.ReferralHeadline,
    ad_body: message.ReferralBody,
    ctwa_clid: message.ReferralCtwaClid,
  };
  const present = Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== "");
  return present.length ? Object.fromEntries(present) : null;
}
