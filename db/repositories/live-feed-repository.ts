/**
 * What the dashboard's live feed reads (src/services/live-feed.ts): rows of the two append-only
 * tables after a mark, by primary key, so a poll costs a range scan of what is new and nothing
 * else. Both reads answer every id after the mark (not only the ones the feed shows), because the
 * feed's low-water mark (src/domain/live-cursor.ts) must tell a gap from a row it ignores.
 */
import { asc, gt, max, sql } from "drizzle-orm";
import type { Executor } from "../executor";
import { reusableQuery } from "../prepared";
import type { MESSAGE_DIRECTIONS } from "../../src/domain/vocabulary";

/** The audit actions a person watching the board or a chat needs to hear about. */
export const LIVE_LEAD_ACTIONS = ["lead.create", "lead.stage_change", "lead.handoff_requested", "lead.handoff_released"] as const;
export type LiveLeadAction = (typeof LIVE_LEAD_ACTIONS)[number];

export interface AuditRowAfterMark {
  id: number;
  action: string;
  entity: string;
  entity_id: number | null;
  actor: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface MessageRowAfterMark {
  id: number;
  lead_id: number;
  direction: (typeof MESSAGE_DIRECTIONS)[number];
}

const auditAfterQuery = reusableQuery<AuditRowAfterMark>("live_audit_after", (q) => {
  const { auditLogs } = q.t;
  return q.db
    .select({
      id: auditLogs.id,
      action: auditLogs.action,
      entity: auditLogs.entity,
      entity_id: auditLogs.entity_id,
      actor: auditLogs.actor,
      // Only a stage change's rows are read for their content (from/to); the others' may be large.
      before: sql<Record<string, unknown> | null>`CASE WHEN ${auditLogs.action} = 'lead.stage_change' THEN ${auditLogs.before} END`.mapWith(auditLogs.before),
      after: sql<Record<string, unknown> | null>`CASE WHEN ${auditLogs.action} = 'lead.stage_change' THEN ${auditLogs.after} END`.mapWith(auditLogs.after),
    })
    .from(auditLogs)
    .where(gt(auditLogs.id, sql.placeholder("mark")))
    .orderBy(asc(auditLogs.id))
    .limit(sql.placeholder("limit"));
});

/** Audit rows with an id above `mark`, ascending, at most `limit`: every entity, so the caller sees every id. */
export function readAuditAfter(q: Executor, mark: number, limit: number): Promise<AuditRowAfterMark[]> {
  return auditAfterQuery(q, { mark, limit });
}

const messagesAfterQuery = reusableQuery<MessageRowAfterMark>("live_messages_after", (q) => {
  const { messages } = q.t;
  return q.db
    .select({ id: messages.id, lead_id: messages.lead_id, direction: messages.direction })
    .from(messages)
    .where(gt(messages.id, sql.placeholder("mark")))
    .orderBy(asc(messages.id))
    .limit(sql.placeholder("limit"));
});

/** Messages with an id above `mark`, ascending, at most `limit`. */
export function readMessagesAfter(q: Executor, mark: number, limit: number): Promise<MessageRowAfterMark[]> {
  return messagesAfterQuery(q, { mark, limit });
}

/** Where a feed that starts now begins: the newest ids of both tables (0 when empty). */
export async function latestLiveIds(q: Executor): Promise<{ audit: number; messages: number }> {
  const [audit] = await q.db.select({ id: max(q.t.auditLogs.id) }).from(q.t.auditLogs);
  const [messages] = await q.db.select({ id: max(q.t.messages.id) }).from(q.t.messages);
  return { audit: Number(audit?.id ?? 0), messages: Number(messages?.id ?? 0) };
}
