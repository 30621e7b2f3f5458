/** SQL for leads, their stage history and the facts the pipeline rules read. */
import { and, asc, count, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { appointments, leads, leadStageHistory, messages, voiceCalls, type Lead, type NewLead } from "../schema";
import type { Executor } from "../executor";
import type { PipelineStage } from "../../src/domain/vocabulary";

export function insertLead(db: Executor, values: NewLead): Lead {
  return db.insert(leads).values(values).returning().get();
}

export function findLead(db: Executor, id: number): Lead | undefined {
  return db.select().from(leads).where(eq(leads.id, id)).get();
}

export function findLeadByPhone(db: Executor, phone: string): Lead | undefined {
  return db.select().from(leads).where(eq(leads.phone, phone)).get();
}

export function findLeadByTelegramChat(db: Executor, chatId: number): Lead | undefined {
  return db.select().from(leads).where(eq(leads.telegram_chat_id, chatId)).get();
}

export function findLeadByWhatsappId(db: Executor, waId: string): Lead | undefined {
  return db.select().from(leads).where(eq(leads.whatsapp_id, waId)).get();
}

export function updateLeadRow(db: Executor, id: number, values: Partial<NewLead>): Lead {
  return db.update(leads).set(values).where(eq(leads.id, id)).returning().get()!;
}

export interface LeadFilter {
  stage?: PipelineStage | undefined;
  q?: string | undefined;
  skip: number;
  limit: number;
}

export function listLeads(db: Executor, filter: LeadFilter): { items: Lead[]; total: number } {
  const conditions: SQL[] = [];
  if (filter.stage) conditions.push(eq(leads.pipeline_stage, filter.stage));
  if (filter.q) {
    // Escape LIKE's wildcards so a search for "50%" means the text "50%".
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(
      or(
        sql`${leads.name} LIKE ${pattern} ESCAPE '\\'`,
        sql`${leads.phone} LIKE ${pattern} ESCAPE '\\'`,
        sql`${leads.email} LIKE ${pattern} ESCAPE '\\'`,
        sql`${leads.telegram_username} LIKE ${pattern} ESCAPE '\\'`,
        sql`${leads.location} LIKE ${pattern} ESCAPE '\\'`,
      )!,
    );
  }
  const where = conditions.length ? and(...conditions) : undefined;
  const items = db.select().from(leads).where(where).orderBy(desc(leads.id)).limit(filter.limit).offset(filter.skip).all();
  const total = db.select({ n: count() }).from(leads).where(where).get()?.n ?? 0;
  return { items, total };
}

/**
 * One page of a stage, newest arrivals first. The order and filter match the
 * (pipeline_stage, stage_changed_at, id) index, so SQLite walks the index and
 * stops after the page instead of sorting the stage.
 */
export function listLeadsInStage(db: Executor, stage: PipelineStage, skip: number, limit: number) {
  const items = db
    .select()
    .from(leads)
    .where(eq(leads.pipeline_stage, stage))
    .orderBy(desc(leads.stage_changed_at), desc(leads.id))
    .limit(limit)
    .offset(skip)
    .all();
  const total = db.select({ n: count() }).from(leads).where(eq(leads.pipeline_stage, stage)).get()?.n ?? 0;
  return { items, total };
}

/** Leads of a stage with no activity since `before`, the longest silent first. */
export function listInactiveLeads(db: Executor, stage: PipelineStage, before: Date, skip: number, limit: number) {
  const where = and(eq(leads.pipeline_stage, stage), lt(leads.last_activity_at, before));
  const items = db.select().from(leads).where(where).orderBy(asc(leads.last_activity_at)).limit(limit).offset(skip).all();
  const total = db.select({ n: count() }).from(leads).where(where).get()?.n ?? 0;
  return { items, total };
}

export function insertStageHistory(db: Executor, entry: typeof leadStageHistory.$inferInsert): void {
  db.insert(leadStageHistory).values(entry).run();
}

export function listStageHistory(db: Executor, leadId: number) {
  return db
    .select()
    .from(leadStageHistory)
    .where(eq(leadStageHistory.lead_id, leadId))
    .orderBy(asc(leadStageHistory.at), asc(leadStageHistory.id))
    .all();
}

/** Counts that feed the score's engagement part and the "first reply" condition. */
export function readEngagement(db: Executor, leadId: number) {
  const inbound =
    db
      .select({ n: count() })
      .from(messages)
      // Commands (/start, /baja…) are not replies: a lead that only pressed Start has not answered yet.
      .where(and(eq(messages.lead_id, leadId), eq(messages.direction, "inbound"), sql`${messages.text} NOT LIKE '/%'`))
      .get()?.n ?? 0;
  const answered =
    db
      .select({ n: count() })
      .from(voiceCalls)
      .where(and(eq(voiceCalls.lead_id, leadId), or(eq(voiceCalls.status, "completed"), eq(voiceCalls.status, "in_progress"))))
      .get()?.n ?? 0;
  return { inboundMessages: inbound, answeredCalls: answered };
}

/**
 * The appointment that matters for the pipeline: the earliest upcoming
 * scheduled one, else the most recent one that was not cancelled.
 */
export function findCurrentAppointment(db: Executor, leadId: number, now: Date) {
  const notCancelled = and(eq(appointments.lead_id, leadId), sql`${appointments.status} != 'cancelled'`);
  const upcoming = db
    .select()
    .from(appointments)
    .where(and(notCancelled, eq(appointments.status, "scheduled"), sql`${appointments.ends_at} > ${now.getTime()}`))
    .orderBy(asc(appointments.starts_at))
    .get();
  return upcoming ?? db.select().from(appointments).where(notCancelled).orderBy(desc(appointments.starts_at)).get() ?? null;
}

/** The options just offered in chat (slots), so a typed "2" can pick one. */
export function savePendingChoices(db: Executor, leadId: number, choices: { id: string; label: string }[]): void {
  db.update(leads).set({ pending_choices: choices }).where(eq(leads.id, leadId)).run();
}

export function clearPendingChoices(db: Executor, leadId: number): void {
  db.update(leads).set({ pending_choices: null }).where(eq(leads.id, leadId)).run();
}
