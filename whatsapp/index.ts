/**
 * The WhatsApp surface, when WHATSAPP_PROVIDER=twilio: the Twilio sender, its
 * side of the channel port, and the signed webhooks on the API's server.
 */
import type { FastifyInstance } from "fastify";
import type { AppConfig } from "../src/config";
import type { Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import type { ConversationService } from "../src/services/conversation-service";
import type { LeadChatService } from "../src/services/lead-chat-service";
import type { MessageStatusService } from "../src/services/message-status-service";
import { createTwilioClient } from "../voice/twilio-client";
import { mountWhatsAppWebhooks } from "./webhooks";
import { createSlotList } from "./slot-list-content";
import { createWhatsAppChannel } from "./whatsapp-channel";
import { createWhatsAppSender, type WhatsAppSender } from "./whatsapp-sender";

export interface WhatsAppSurfaceDeps {
  chat: LeadChatService;
  conversation: ConversationService;
  messageStatus: MessageStatusService;
  guard: DispatchGuard;
  log: Logger;
}

export interface WhatsAppSurface {
  /** Resolves once every inbound message received so far was handled. */
  idle(): Promise<void>;
}

/** The Twilio sender, built early (campaigns and reminders write through it); null unless WhatsApp is configured. */
export function createWhatsAppSenderFromConfig(config: AppConfig, log: Logger, retryBaseMs: number): WhatsAppSender | null {
  const { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_NUMBER, WEBHOOK_BASE_URL } = config;
  // config.ts already stopped start-up naming whatever was missing.
  if (config.WHATSAPP_PROVIDER !== "twilio" || !TWILIO_ACCOUNT_SID || !TWILIO_AUTH_TOKEN || !TWILIO_WHATSAPP_NUMBER || !WEBHOOK_BASE_URL) return null;
  return createWhatsAppSender({
    client: createTwilioClient(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, config.TWILIO_API_BASE),
    from: TWILIO_WHATSAPP_NUMBER,
    statusCallbackUrl: `${WEBHOOK_BASE_URL.replace(/\/$/, "")}/whatsapp/status`,
    maxAttempts: config.CAMPAIGN_MAX_ATTEMPTS,
    retryBaseMs,
    log,
  });
}

/** The signed webhooks on the API's server, answering through the sender's side of the channel port. */
export async function mountWhatsAppSurface(app: FastifyInstance, config: AppConfig, sender: WhatsAppSender, deps: WhatsAppSurfaceDeps): Promise<WhatsAppSurface> {
  const slotList = config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN ? createSlotList(createTwilioClient(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, config.TWILIO_API_BASE), deps.log) : null;
  const webhooks = await mountWhatsAppWebhooks(app, {
    authToken: config.TWILIO_AUTH_TOKEN ?? "",
    webhookBaseUrl: config.WEBHOOK_BASE_URL ?? "",
    chat: deps.chat,
    channel: createWhatsAppChannel(sender, slotList),
    messageStatus: deps.messageStatus,
    alreadyReceived: (sid) => deps.conversation.hasReceived("whatsapp", sid),
    guard: deps.guard,
    log: deps.log,
  });
  return { idle: webhooks.idle };
}
