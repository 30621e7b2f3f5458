/**
 * The WhatsApp surface's webhooks, on the API's server:
 * - POST /whatsapp/incoming, the sender's "a message comes in" URL: a text, a
 *   location, a button or list answer, or an attachment, each translated to
 *   the chat core, in order per sender; answered once handled (at most 10 s,
 *   then it goes on in the background). Twilio's retries of the same
 *   MessageSid are handled once (the chat core stores each message once).
 * - POST /whatsapp/status, the status callback of every message we send.
 * Both check X-Twilio-Signature (403 otherwise) and parse the body (400 with
 * the problem paths when it does not parse).
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { requireTwilioSignature } from "../src/channels/twilio-signed-webhooks";
import type { ChannelPort } from "../src/channels/channel-port";
import { issuePaths, type Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import type { LeadChatService } from "../src/services/lead-chat-service";
import type { MessageStatusService } from "../src/services/message-status-service";
import type { ChatIdentity } from "../src/services/conversation-service";
import { createInboundQueue } from "./inbound-queue";
import { adReferral, inboundMessageSchema, statusCallbackSchema, type InboundMessage } from "./twilio-messaging-bodies";
import { UNREACHABLE_CODES } from "./whatsapp-sender";

export interface WhatsAppWebhookDeps {
  authToken: string;
  webhookBaseUrl: string;
  chat: LeadChatService;
  channel: ChannelPort;
  messageStatus: MessageStatusService;
  guard: DispatchGuard;
  log: Logger;
}

/** Twilio waits 15 s for a webhook's answer; we answer within 10. */
const ACK_WITHIN_MS = 10_000;
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** Resolves when `work` settles or after `ms`, whichever comes first; the timer goes with it (at hundreds of messages a second, ten seconds of pending timers add up). */
function handledWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => void (timer = setTimeout(resolve, ms)).unref());
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/** Who wrote: the WhatsApp id (digits) and the number it proves. */
function identityOf(message: InboundMessage): ChatIdentity {
  const digits = message.WaId ?? message.From.replace(/^whatsapp:\+/, "");
  return { channel: "whatsapp", address: digits, phone: `+${digits}`, firstName: message.ProfileName?.trim() || undefined };
}

export async function mountWhatsAppWebhooks(app: FastifyInstance, deps: WhatsAppWebhookDeps) {
  const queue = createInboundQueue(deps.guard);
  const { chat, channel, log } = deps;
  const badRequest = (reply: FastifyReply) => reply.code(400).send({ error: "bad_request", message: "Parámetros de Twilio inválidos", details: [] });

  await app.register(async (scope) => {
    requireTwilioSignature(scope, { authToken: deps.authToken, webhookBaseUrl: deps.webhookBaseUrl, surface: "whatsapp_webhook", guard: deps.guard, log });

    scope.post("/whatsapp/incoming", { schema: { hide: true } }, async (request, reply) => {
      const parsed = inboundMessageSchema.safeParse(request.body ?? {});
      if (!parsed.success) {
        log.warn({ problems: issuePaths(parsed.error) }, "WhatsApp message refused: body does not parse");
        return badRequest(reply);
      }
      const message = parsed.data;
      const identity = identityOf(message);
      // A MessageSid Twilio delivers again is skipped by the chat core, which stores each inbound message once.
      const handled = queue.enqueue(identity.address, { message_sid: message.MessageSid }, () => handleInbound(identity, message));
      // Answer once the message is handled (so a crash before it is stored leaves Twilio to retry),
      // but never later than Twilio waits: a slow model's turn goes on after the answer.
      await handledWithin(handled, ACK_WITHIN_MS);
      return reply.type("text/xml").send(EMPTY_TWIML);
    });

    scope.post("/whatsapp/status", { schema: { hide: true } }, async (request, reply) => {
      const parsed = statusCallbackSchema.safeParse(request.body ?? {});
      if (!parsed.success) {
        log.warn({ problems: issuePaths(parsed.error) }, "WhatsApp status callback refused: body does not parse");
        return badRequest(reply);
      }
      const { MessageSid, MessageStatus, ErrorCode } = parsed.data;
      await deps.messageStatus.applyReport({
        channel: "whatsapp",
        externalId: MessageSid,
        status: MessageStatus,
        errorCode: ErrorCode ?? null,
        unreachable: ErrorCode !== undefined && UNREACHABLE_CODES.has(Number(ErrorCode)),
      });
      return reply.code(204).send();
    });
  });

  async function handleInbound(identity: ChatIdentity, message: InboundMessage): Promise<void> {
    const sid = message.MessageSid;
    const picked = message.ButtonPayload ?? message.ListId;
    if (picked) {
      await chat.pick(channel, identity, picked, { explain: true, text: message.ButtonText ?? message.ListTitle ?? picked, externalId: sid });
      return;
    }
    if (message.Latitude && message.Longitude) {
      return chat.receiveLocation(channel, identity, { label: message.Label, address: message.Address }, sid);
    }
    if (Number(message.NumMedia) > 0 || !message.Body.trim()) return chat.receiveUnsupported(channel, identity, sid);
    const referral = adReferral(message);
    return chat.receiveText(channel, identity, message.Body, sid, { source: referral ? "whatsapp_anuncio" : "whatsapp", detail: referral });
  }

  return { idle: () => queue.idle() };
}
