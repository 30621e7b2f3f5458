/**
 * The WhatsApp surface, when WHATSAPP_PROVIDER=twilio: the Twilio sender, its
 * side of the channel port, and the signed webhooks on the API's server.
 */
import type { FastifyInstance } from "fastify";
import type { ChannelPort } from "../src/channels/channel-port";
import type { AppConfig } from "../src/config";
import type { Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import type { LeadChatService } from "../src/services/lead-chat-service";
import type { MessageStatusService } from "../src/services/message-status-service";
import { createTwilioClient } from "../src/channels/twilio-client";
import { mountWhatsAppWebhooks } from "./webhooks";
import { createSlotList, type SlotList } from "./slot-list-content";
import { createWhatsAppChannel } from "./whatsapp-channel";
import { createWhatsAppSender, type WhatsAppSender } from "./whatsapp-sender";

export interface WhatsAppSurfaceDeps {
  chat: LeadChatService;
  messageStatus: MessageStatusService;
  guard: DispatchGuard;
  log: Logger;
}

export interface WhatsAppSurface {
  /** Resolves once every inbound message received so far was handled. */
  idle(): Promise<void>;
}

/** The Twilio side of WhatsApp, on one client: the sender and the slot list (Content API), and what the webhooks check. */
export interface WhatsAppTwilio {
  sender: WhatsAppSender;
  slotList: SlotList;
  /** WhatsApp's side of the channel port, on this sender: the webhooks' replies and a person's messages from the dashboard. */
  channel: ChannelPort;
  authToken: string;
  webhookBaseUrl: string;
}

/** Built early (campaigns and reminders write through the sender); null unless WhatsApp is configured. */
export function createWhatsAppTwilio(config: AppConfig, log: Logger, retryBaseMs: number): WhatsAppTwilio | null {
  const { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_NUMBER, WEBHOOK_BASE_URL } = config;
  // config.ts already stopped start-up naming whatever was missing.
  if (config.WHATSAPP_PROVIDER !== "twilio" || !TWILIO_ACCOUNT_SID || !TWILIO_AUTH_TOKEN || !TWILIO_WHATSAPP_NUMBER || !WEBHOOK_BASE_URL) return null;
  const client = createTwilioClient(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, config.TWILIO_API_BASE);
  const sender = createWhatsAppSender({
    client,
    from: TWILIO_WHATSAPP_NUMBER,
    statusCallbackUrl: `${WEBHOOK_BASE_URL.replace(/\/$/, "")}/whatsapp/status`,
    maxAttempts: config.CAMPAIGN_MAX_ATTEMPTS,
    retryBaseMs,
    log,
  });
  const slotList = createSlotList(client, log);
  return { sender, slotList, channel: createWhatsAppChannel(sender, slotList), authToken: TWILIO_AUTH_TOKEN, webhookBaseUrl: WEBHOOK_BASE_URL };
}

/** The signed webhooks on the API's server, answering through the sender's side of the channel port. */
export async function mountWhatsAppSurface(app: FastifyInstance, twilio: WhatsAppTwilio, deps: WhatsAppSurfaceDeps): Promise<WhatsAppSurface> {
  const webhooks = await mountWhatsAppWebhooks(app, {
    authToken: twilio.authToken,
    webhookBaseUrl: twilio.webhookBaseUrl,
    chat: deps.chat,
    channel: twilio.channel,
    messageStatus: deps.messageStatus,
    guard: deps.guard,
    log: deps.log,
  });
  return { idle: webhooks.idle };
}
