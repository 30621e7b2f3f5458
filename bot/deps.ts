import type { Logger } from "../src/logger";
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
}
