/** What the dashboard's pages are given: the same services the API and the bot use, never the database. */
import type { Clock } from "../src/clock";
import type { Services } from "../src/services";
import type { LeadChatService } from "../src/services/lead-chat-service";
import type { LiveFeed } from "../src/services/live-feed";
import type { PageRenderer } from "./views";

export interface DashboardDeps {
  services: Services;
  /** Chats with leads on their channels (taking a conversation over, writing to a lead, handing it back). */
  chat: LeadChatService;
  /** What changed since a page opened (lead moves, handoffs, messages), for /admin/eventos. */
  live: LiveFeed;
  clock: Clock;
  /** The agency's time zone (TZ): days and dates are shown in it. */
  timeZone: string;
}

/** What every page module receives when it registers its routes. */
export interface PageKit {
  deps: DashboardDeps;
  render: PageRenderer;
}

/** Dashboard routes stay out of the OpenAPI document (and so out of the generated abuse suite). */
export const HIDDEN = { schema: { hide: true } } as const;
