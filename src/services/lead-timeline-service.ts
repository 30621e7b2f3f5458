/**
 * One lead's story for the dashboard: every source read newest first from the page's cursor, then
 * merged into one list (src/domain/lead-timeline.ts).
 */
import { findLead } from "../../db/repositories/leads-repository";
import {
  listLeadAppointmentsBefore,
  listLeadAuditBefore,
  listLeadCallsBefore,
  listLeadCampaignStepsBefore,
  listLeadMessagesBefore,
  listLeadStageMovesBefore,
  type TimelineAppointment,
  type TimelineAuditEntry,
  type TimelineCall,
  type TimelineCampaignStep,
  type TimelineMessage,
  type TimelineStageMove,
} from "../../db/repositories/timeline-repository";
import {
  AUDIT_ACTIONS_TOLD_ELSEWHERE,
  mergeTimeline,
  sourceBound,
  TIMELINE_PAGE_SIZE,
  type TimelineCursor,
} from "../domain/lead-timeline";
import { NotFoundError } from "../errors";
import type { ServiceDeps } from "./context";

export type TimelineEntry = TimelineMessage | TimelineCall | TimelineStageMove | TimelineAppointment | TimelineCampaignStep | TimelineAuditEntry;

export interface TimelinePage {
  entries: TimelineEntry[];
  /** Where the next (older) page starts; null when this one reaches the lead's first entry. */
  next: TimelineCursor | null;
}

/** The most entries a page may ask for. */
export const TIMELINE_MAX_PAGE = 200;

export function createLeadTimelineService({ db }: Pick<ServiceDeps, "db">) {
  return {
    /** The lead's entries after `before` (from the newest when null), `limit` of them at most. */
    getLeadTimeline(leadId: number, options: { before?: TimelineCursor | null; limit?: number } = {}): Promise<TimelinePage> {
      const limit = Math.min(Math.max(1, options.limit ?? TIMELINE_PAGE_SIZE), TIMELINE_MAX_PAGE);
      const cursor = options.before ?? null;
      const bound = (kind: TimelineEntry["kind"]) => (cursor ? sourceBound(cursor, kind) : null);
      // One more than the page from each source: then whether anything is left is known (mergeTimeline).
      const read = limit + 1;
      return db.run(async (q) => {
        if (!(await findLead(q, leadId))) throw new NotFoundError("un lead", leadId);
        // One after the other: on SQLite statements run one at a time anyway, and on PostgreSQL this
        // takes one pooled connection at a time however many people open lead pages.
        const sources: TimelineEntry[][] = [
          await listLeadMessagesBefore(q, leadId, bound("message"), read),
          await listLeadCallsBefore(q, leadId, bound("call"), read),
          await listLeadStageMovesBefore(q, leadId, bound("stage"), read),
          await listLeadAppointmentsBefore(q, leadId, bound("appointment"), read),
          await listLeadCampaignStepsBefore(q, leadId, bound("campaign"), read),
          await listLeadAuditBefore(q, leadId, bound("audit"), read, AUDIT_ACTIONS_TOLD_ELSEWHERE),
        ];
        return mergeTimeline(sources, limit);
      });
    },
  };
}

export type LeadTimelineService = ReturnType<typeof createLeadTimelineService>;
