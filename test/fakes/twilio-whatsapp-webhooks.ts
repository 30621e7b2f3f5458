/**
 * Inbound WhatsApp messages as Twilio delivers them to a webhook: a form-encoded
 * POST signed over the configured URL and every posted field.
 *
 * Fields, per docs/messaging/guides/webhook-request: MessageSid, SmsMessageSid,
 * SmsSid (all the same SID: SM…, MM… when media is attached), AccountSid,
 * MessagingServiceSid (when the sender belongs to a service), From and To as
 * `whatsapp:+E164`, Body, NumMedia, NumSegments, SmsStatus "received",
 * ApiVersion, and for WhatsApp ProfileName and WaId (the number without "+").
 * Media: MediaUrl{N}/MediaContentType{N}. Shared location: Latitude, Longitude,
 * Address, Label. Quick-reply tap: ButtonText, ButtonPayload (the action id).
 * List-picker choice: ListId, ListTitle. Click-to-WhatsApp ad: Referral* fields.
 * MessageType (text, image, audio, location, button, interactive…) is what
 * Twilio sends today; the webhook table itself does not list it.
 */
import { newSid, postSignedForm, whatsappAddress, type SignedPost } from "./twilio-wire";

export interface InboundTarget {
  /** The webhook URL configured in Twilio: the one signed. */
  url: string;
  /** Where the request really goes (the local server), when it differs from `url`. */
  postTo?: string;
}

export interface InboundContext {
  accountSid: string;
  authToken: string;
  /** The business sender, `whatsapp:+E164`. */
  businessAddress: string;
  messagingServiceSid?: string;
  /** Twilio has the message before it calls the webhook: the 24-hour window opens whatever the answer. */
  onInbound?: (from: string) => void;
}

export type MediaKind = "voice-note" | "audio" | "image" | "sticker" | "document" | "video";

const MEDIA: Record<MediaKind, { contentType: string; messageType: string }> = {
  "voice-note": { contentType: "audio/ogg", messageType: "audio" },
  audio: { contentType: "audio/mpeg", messageType: "audio" },
  image: { contentType: "image/jpeg", messageType: "image" },
  sticker: { contentType: "image/webp", messageType: "sticker" },
  document: { contentType: "application/pdf", messageType: "document" },
  video: { contentType: "video/mp4", messageType: "video" },
};

export interface SharedLocation {
  latitude: number;
  longitude: number;
  address?: string;
  label?: string;
}

export type Choice =
  | { kind: "quick-reply"; payload: string; text: string; repliedTo?: string }
  | { kind: "list"; id: string; title: string; repliedTo?: string };

/** Click-to-WhatsApp ad data; each field becomes Referral{Name}. */
export interface AdReferral {
  Body: string;
  Headline: string;
  SourceId: string;
  SourceType: string;
  SourceUrl: string;
  MediaId: string;
  MediaContentType: string;
  MediaUrl: string;
  NumMedia: string;
  CtwaClid: string;
}

/** The webhook as posted and as answered. */
export type InboundResult = SignedPost;

/** Extra fields to add or override (e.g. ProfileName, OriginalRepliedMessageSid). */
export type ExtraFields = Record<string, string>;

export function createWhatsAppInbound(target: InboundTarget, context: InboundContext) {
  const { accountSid, authToken, businessAddress } = context;

  function baseFields(from: string, sid: string, body: string, numMedia: number, messageType: string): Record<string, string> {
    const address = whatsappAddress(from);
    return {
      SmsMessageSid: sid,
      NumMedia: String(numMedia),
      ProfileName: "Cliente WhatsApp",
      MessageType: messageType,
      SmsSid: sid,
      WaId: address.replace(/^whatsapp:\+/, ""),
      SmsStatus: "received",
      Body: body,
      To: businessAddress,
      NumSegments: "1",
      ReferralNumMedia: "0",
      MessageSid: sid,
      AccountSid: accountSid,
      ...(context.messagingServiceSid && { MessagingServiceSid: context.messagingServiceSid }),
      From: address,
      ApiVersion: "2010-04-01",
    };
  }

  /** Posts any fields, signed unless `signature` says otherwise (null: unsigned; a string: forged). */
  async function deliver(params: Record<string, string>, options: { signature?: string | null } = {}): Promise<InboundResult> {
    if (params.From) context.onInbound?.(params.From);
    return postSignedForm(authToken, target.url, params, { postTo: target.postTo, signature: options.signature });
  }

  const send = (fields: Record<string, string>, extra: ExtraFields = {}) => deliver({ ...fields, ...extra });

  return {
    deliver,

    /** The fields Twilio would post for a text message, without posting them. */
    textFields: (from: string, body: string, extra: ExtraFields = {}) => ({ ...baseFields(from, newSid("SM"), body, 0, "text"), ...extra }),

    userSays: (from: string, body: string, extra?: ExtraFields) => send(baseFields(from, newSid("SM"), body, 0, "text"), extra),

    userSharesLocation: (from: string, location: SharedLocation, extra?: ExtraFields) =>
      send(
        {
          ...baseFields(from, newSid("SM"), "", 0, "location"),
          Latitude: String(location.latitude),
          Longitude: String(location.longitude),
          ...(location.address !== undefined && { Address: location.address }),
          ...(location.label !== undefined && { Label: location.label }),
        },
        extra,
      ),

    /** A voice note, photo, sticker or PDF; `caption` becomes the Body. */
    userSendsMedia(from: string, kind: MediaKind, options: { caption?: string; contentType?: string } = {}, extra?: ExtraFields) {
      const sid = newSid("MM");
      const media = MEDIA[kind];
      return send(
        {
          ...baseFields(from, sid, options.caption ?? "", 1, media.messageType),
          MediaContentType0: options.contentType ?? media.contentType,
          MediaUrl0: `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media/${newSid("ME")}`,
        },
        extra,
      );
    },

    /** A tap on a quick-reply button or a choice from a list-picker; Body is what the user sees. */
    userPicks(from: string, choice: Choice, extra?: ExtraFields) {
      const replied: ExtraFields = choice.repliedTo ? { OriginalRepliedMessageSid: choice.repliedTo, OriginalRepliedMessageSender: businessAddress } : {};
      const fields =
        choice.kind === "quick-reply"
          ? { ...baseFields(from, newSid("SM"), choice.text, 0, "button"), ButtonText: choice.text, ButtonPayload: choice.payload }
          : { ...baseFields(from, newSid("SM"), choice.title, 0, "interactive"), ListId: choice.id, ListTitle: choice.title };
      return send({ ...fields, ...replied }, extra);
    },

    /** The first message of a lead who tapped a Click-to-WhatsApp ad. */
    userFromAd(from: string, body: string, referral: Partial<AdReferral> = {}, extra?: ExtraFields) {
      const ad: AdReferral = {
        Body: "Departamentos en preventa con 10% de enganche",
        Headline: "Tu depa en la Roma",
        SourceId: "120210000000000001",
        SourceType: "ad",
        SourceUrl: "https://fb.me/prospecta-anuncio",
        MediaId: "1234567890",
        MediaContentType: "image/jpeg",
        MediaUrl: "https://scontent.whatsapp.net/v/anuncio.jpg",
        NumMedia: "1",
        CtwaClid: "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a",
        ...referral,
      };
      const referralFields = Object.fromEntries(Object.entries(ad).map(([name, value]) => [`Referral${name}`, value]));
      return send({ ...baseFields(from, newSid("SM"), body, 0, "text"), ...referralFields }, extra);
    },
  };
}

export type WhatsAppInbound = ReturnType<typeof createWhatsAppInbound>;
