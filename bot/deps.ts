import type { Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import type { BookingService } from "../src/services/booking-service";
import type { ConversationService } from "../src/services/conversation-service";

/** What the bot's features are built from. */
export interface BotDeps {
  conversation: ConversationService;
  log: Logger;
  /** Where lead events for people (handoff, qualified, booked) are posted; null: nowhere. */
  adminChatId: number | null;
  booking: BookingService;
  timeZone: string;
  /** Where a failed update is logged and counted (prospecta_handler_failures_total). */
  guard: DispatchGuard;
}
