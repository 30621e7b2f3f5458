import type { Logger } from "../src/logger";
import type { ChannelPort } from "../src/channels/channel-port";
import type { LeadChatService } from "../src/services/lead-chat-service";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import type { ConversationService } from "../src/services/conversation-service";

/** What the bot's features are built from. */
export interface BotDeps {
  conversation: ConversationService;
  log: Logger;
  /** Where a failed update is logged and counted (prospecta_handler_failures_total). */
  guard: DispatchGuard;
  /** The chat core every lead message goes to, and this bot's side of its channel port. */
  chat: LeadChatService;
  telegramChannel: ChannelPort;
}
