/**
 * One lead's story, a table at a time, for the dashboard's timeline (src/domain/lead-timeline.ts
 * merges them). Each read takes the lead's newest rows after the page's cursor, walking the index
 * that starts with the lead (and its time) backwards, and stops at `limit` rows: a lead with years
 * of messages costs one page, never its whole history.
 */
import { and, desc, eq, lt, lte, notInArray, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Executor } from "../executor";
import type { SourceBound } from "../../src/domain/lead-timeline";
import type { Appointment, AuditLog, CampaignLog, Message, StageHistoryEntry, VoiceCall } from "../schema";

/** Rows at or after this bound in the timeline's order (null: from the newest). */
function after(at: SQLiteColumn, id: SQLiteColumn, bound: SourceBound | null): SQL | undefined {
  if (!bound) return undefined;
  switch (bound.sameTime) {
    case "all":
      return lte(at, bound.at);
    case "none":
      return lt(at, bound.at);
    case "lower_ids":
      // The range on time alone walks the index; the id only settles rows at that very millisecond.
      return and(lte(at, bound.at), or(lt(at, bound.at), lt(id, bound.id)));
  }
}

export type TimelineMessage = Pick<Message, "id" | "at" | "direction" | "channel" | "agent_type" | "text" | "status" | "sent_by"> & { kind: "message" };

/** Messages on every channel, through messages_lead_idx(lead_id, at). */
export async function listLeadMessagesBefore(q: Executor, leadId: number, bound: SourceBound | null, limit: number): Promise<TimelineMessage[]> {
  const { messages: m } = q.t;
  const rows = await q.db
    .select({ id: m.id, at: m.at, direction: m.direction, channel: m.channel, agent_type: m.agent_type, text: m.text, status: m.status, sent_by: m.sent_by })
    .from(m)
    .where(and(eq(m.lead_id, leadId), after(m.at, m.id, bound)))
    .orderBy(desc(m.at), desc(m.id))
    .limit(limit);
  return rows.map((row) => ({ kind: "message" as const, ...row }));
}

export type TimelineCall = Pick<VoiceCall, "id" | "direction" | "status" | "duration_seconds" | "summary" | "agent_type" | "failure_reason"> & {
  kind: "call";
  at: Date;
};

/** Calls, placed or received, by when they were created, through voice_calls_lead_idx(lead_id, created_at). */
export async function listLeadCallsBefore(q: Executor, leadId: number, bound: SourceBound | null, limit: number): Promise<TimelineCall[]> {
  const { voiceCalls: c } = q.t;
  const rows = await q.db
    .select({
      id: c.id,
      at: c.created_at,
      direction: c.direction,
      status: c.status,
      duration_seconds: c.duration_seconds,
      summary: c.summary,
      agent_type: c.agent_type,
      failure_reason: c.failure_reason,
    })
    .from(c)
    .where(and(eq(c.lead_id, leadId), after(c.created_at, c.id, bound)))
    .orderBy(desc(c.created_at), desc(c.id))
    .limit(limit);
  return rows.map((row) => ({ kind: "call" as const, ...row }));
}

export type TimelineStageMove = Pick<StageHistoryEntry, "id" | "at" | "from_stage" | "to_stage" | "reason" | "actor" | "forced"> & { kind: "stage" };

/** Stage moves with who made them, through lead_stage_history_lead_idx(lead_id, at). */
export async function listLeadStageMovesBefore(q: Executor, leadId: number, bound: SourceBound | null, limit: number): Promise<TimelineStageMove[]> {
  const { leadStageHistory: h } = q.t;
  const rows = await q.db
    .select({ id: h.id, at: h.at, from_stage: h.from_stage, to_stage: h.to_stage, reason: h.reason, actor: h.actor, forced: h.forced })
    .from(h)
    .where(and(eq(h.lead_id, leadId), after(h.at, h.id, bound)))
    .orderBy(desc(h.at), desc(h.id))
    .limit(limit);
  return rows.map((row) => ({ kind: "stage" as const, ...row }));
}

export type TimelineAppointment = Pick<Appointment, "id" | "ends_at" | "status" | "meet_link"> & { kind: "appointment"; at: Date };

/**
 * Appointments at the time they are for, through appointments_lead_idx(lead_id, starts_at): an
 * upcoming one heads the timeline, which is where a person looks for it.
 */
export async function listLeadAppointmentsBefore(q: Executor, leadId: number, bound: SourceBound | null, limit: number): Promise<TimelineAppointment[]> {
  const { appointments: a } = q.t;
  const rows = await q.db
    .select({ id: a.id, at: a.starts_at, ends_at: a.ends_at, status: a.status, meet_link: a.meet_link })
    .from(a)
    .where(and(eq(a.lead_id, leadId), after(a.starts_at, a.id, bound)))
    .orderBy(desc(a.starts_at), desc(a.id))
    .limit(limit);
  return rows.map((row) => ({ kind: "appointment" as const, ...row }));
}

export type TimelineCampaignStep = Pick<CampaignLog, "id" | "campaign_id" | "step_number" | "action" | "status" | "error" | "needs_review"> & {
  kind: "campaign";
  at: Date;
  campaign_name: string;
};

/** Campaign steps run for the lead, with the campaign's name, through campaign_logs_lead_idx(lead_id, executed_at). */
export async function listLeadCampaignStepsBefore(q: Executor, leadId: number, bound: SourceBound | null, limit: number): Promise<TimelineCampaignStep[]> {
  const { campaignLogs: l, campaigns: c } = q.t;
  const rows = await q.db
    .select({
      id: l.id,
      at: l.executed_at,
      campaign_id: l.campaign_id,
      campaign_name: c.name,
      step_number: l.step_number,
      action: l.action,
      status: l.status,
      error: l.error,
      needs_review: l.needs_review,
    })
    .from(l)
    .innerJoin(c, eq(c.id, l.campaign_id))
    .where(and(eq(l.lead_id, leadId), after(l.executed_at, l.id, bound)))
    .orderBy(desc(l.executed_at), desc(l.id))
    .limit(limit);
  return rows.map((row) => ({ kind: "campaign" as const, ...row }));
}

export type TimelineAuditEntry = Pick<AuditLog, "id" | "at" | "actor" | "action" | "before" | "after"> & { kind: "audit" };

/**
 * The lead's audit entries but the actions left out (those another source already tells), through
 * audit_logs_entity_idx(entity, entity_id, at). Left out here, not after reading, so a page of
 * `limit` rows is a page of entries that show.
 */
export async function listLeadAuditBefore(
  q: Executor,
  leadId: number,
  bound: SourceBound | null,
  limit: number,
  leftOut: readonly string[],
): Promise<TimelineAuditEntry[]> {
  const { auditLogs: a } = q.t;
  const rows = await q.db
    .select({ id: a.id, at: a.at, actor: a.actor, action: a.action, before: a.before, after: a.after })
    .from(a)
    .where(and(eq(a.entity, "lead"), eq(a.entity_id, leadId), leftOut.length ? notInArray(a.action, [...leftOut]) : undefined, after(a.at, a.id, bound)))
    .orderBy(desc(a.at), desc(a.id))
    .limit(limit);
  return rows.map((row) => ({ kind: "audit" as const, ...row }));
}
