/** SQL for leads, their stage history and the facts the pipeline rules read. */
import { and, asc, count, desc, eq, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import { appointments, leads, leadStageHistory, messages, voiceCalls, type Lead, type NewLead } from "../schema";
import type { Executor } from "../executor";
import { writePlaceholders, writeShape, reusableQuery, reusableQueryByColumns } from "../prepared";
import type { PipelineStage } from "../../src/domain/vocabulary";

const insertLeadQuery = reusableQueryByColumns((db, columns) =>
  db.insert(leads).values(writePlaceholders(columns) as unknown as NewLead).returning().prepare(),
);
export function insertLead(db: Executor, values: NewLead): Lead {
  return insertLeadQuery(db, writeShape(values)).get(values)!;
}

const leadWhere = (column: "id" | "phone" | "telegram_chat_id" | "whatsapp_id") =>
  reusableQuery((db) => db.select().from(leads).where(eq(leads[column], sql.placeholder("value"))).prepare());
const leadById = leadWhere("id");
const leadByPhone = leadWhere("phone");
const leadByTelegramChat = leadWhere("telegram_chat_id");
const leadByWhatsappId = leadWhere("whatsapp_id");

export function findLead(db: Executor, id: number): Lead | undefined {
  return leadById(db).get({ value: id });
}

export function findLeadByPhone(db: Executor, phone: string): Lead | undefined {
  return leadByPhone(db).get({ value: phone });
}

export function findLeadByTelegramChat(db: Executor, chatId: number): Lead | undefined {
  return leadByTelegramChat(db).get({ value: chatId });
}

export function findLeadByWhatsappId(db: Executor, waId: string): Lead | undefined {
  return leadByWhatsappId(db).get({ value: waId });
}

// The lead's id goes in a placeholder no column can be named.
const updateLeadQuery = reusableQueryByColumns((db, columns) =>
  db
    .update(leads)
    .set(writePlaceholders(columns) as Partial<NewLead>)
    .where(eq(leads.id, sql.placeholder("$id")))
    .returning()
    .prepare(),
);
export function updateLeadRow(db: Executor, id: number, values: Partial<NewLead>): Lead {
  return updateLeadQuery(db, writeShape(values)).get({ ...values, $id: id })!;
}

const setLeadFieldsQuery = reusableQueryByColumns((db, columns) =>
  db
    .update(leads)
    .set(writePlaceholders(columns) as Partial<NewLead>)
    .where(eq(leads.id, sql.placeholder("$id")))
    .prepare(),
);
/** As updateLeadRow, when the caller needs nothing back (no row read and mapped). */
export function setLeadFields(db: Executor, id: number, values: Partial<NewLead>): void {
  setLeadFieldsQuery(db, writeShape(values)).run({ ...values, $id: id });
}

export interface LeadFilter {
  stage?: PipelineStage | undefined;
  q?: string | undefined;
  skip: number;
  limit: number;
}

// Trigrams need three characters; a shorter search reads every lead (LIKE, case-insensitive for ASCII only).
const TRIGRAM = 3;

/** A phone as people type it ("55 1234-5678", "(55) 1234"): searched by its digits, as phones are stored. */
function phoneDigits(q: string): string | null {
  if (!/^[\d\s+().-]+$/.test(q)) return null;
  const digits = q.replace(/\D/g, "");
  return digits.length >= TRIGRAM ? digits : null;
}

/** The FTS5 query for `q` (one phrase, quotes doubled, so no character of it is query syntax), or null when too short for trigrams. */
function searchPhrase(q: string): string | null {
  const text = phoneDigits(q) ?? q;
  return text.length >= TRIGRAM ? `"${text.replaceAll('"', '""')}"` : null;
}

/** A search too short for the index: every lead read, LIKE's wildcards escaped so "5%" means the text "5%". */
function likeCondition(q: string): SQL {
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return or(
    sql`${leads.name} LIKE ${pattern} ESCAPE '\\'`,
    sql`${leads.phone} LIKE ${pattern} ESCAPE '\\'`,
    sql`${leads.email} LIKE ${pattern} ESCAPE '\\'`,
    sql`${leads.telegram_username} LIKE ${pattern} ESCAPE '\\'`,
    sql`${leads.location} LIKE ${pattern} ESCAPE '\\'`,
  )!;
}

/**
 * Leads, newest first, by stage and by a search of their name, phone,
 * e-mail, Telegram user or location (any part of them, case and accents
 * ignored) through the leads_search index (migration 0009).
 */
export function listLeads(db: Executor, filter: LeadFilter): { items: Lead[]; total: number } {
  const phrase = filter.q ? searchPhrase(filter.q) : null;
  if (phrase && !filter.stage) {
    // The index holds every lead in id order: it pages and counts by itself, without reading the
    // leads it skips (a third of 100,000 leads matching took 25 ms through leads, 5 ms here).
    const ids = db.all<{ id: number }>(
      sql`SELECT rowid AS id FROM leads_search WHERE leads_search MATCH ${phrase} ORDER BY rowid DESC LIMIT ${filter.limit} OFFSET ${filter.skip}`,
    );
    const items = ids.length ? db.select().from(leads).where(inArray(leads.id, ids.map((row) => row.id))).orderBy(desc(leads.id)).all() : [];
    const total = db.get<{ n: number }>(sql`SELECT count(*) AS n FROM leads_search WHERE leads_search MATCH ${phrase}`)?.n ?? 0;
    return { items, total };
  }
  const conditions: SQL[] = [];
  if (filter.stage) conditions.push(eq(leads.pipeline_stage, filter.stage));
  if (filter.q) conditions.push(phrase ? sql`${leads.id} IN (SELECT rowid FROM leads_search WHERE leads_search MATCH ${phrase})` : likeCondition(filter.q));
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

type NewStageHistory = typeof leadStageHistory.$inferInsert;
const insertStageHistoryQuery = reusableQueryByColumns((db, columns) =>
  db.insert(leadStageHistory).values(writePlaceholders(columns) as unknown as NewStageHistory).prepare(),
);
export function insertStageHistory(db: Executor, entry: NewStageHistory): void {
  insertStageHistoryQuery(db, writeShape(entry)).run(entry);
}

export function listStageHistory(db: Executor, leadId: number) {
  return db
    .select()
    .from(leadStageHistory)
    .where(eq(leadStageHistory.lead_id, leadId))
    .orderBy(asc(leadStageHistory.at), asc(leadStageHistory.id))
    .all();
}

const inboundReplyCount = reusableQuery((db) =>
  db
    .select({ n: count() })
    .from(messages)
    // Commands (/start, /baja…) are not replies: a lead that only pressed Start has not answered yet.
    .where(and(eq(messages.lead_id, sql.placeholder("leadId")), eq(messages.direction, "inbound"), sql`${messages.text} NOT LIKE '/%'`))
    .prepare(),
);
const answeredCallCount = reusableQuery((db) =>
  db
    .select({ n: count() })
    .from(voiceCalls)
    .where(and(eq(voiceCalls.lead_id, sql.placeholder("leadId")), or(eq(voiceCalls.status, "completed"), eq(voiceCalls.status, "in_progress"))))
    .prepare(),
);

/** Counts that feed the score's engagement part and the "first reply" condition. */
export function readEngagement(db: Executor, leadId: number) {
  const inbound = inboundReplyCount(db).get({ leadId })?.n ?? 0;
  const answered = answeredCallCount(db).get({ leadId })?.n ?? 0;
  return { inboundMessages: inbound, answeredCalls: answered };
}

const notCancelledOf = and(eq(appointments.lead_id, sql.placeholder("leadId")), sql`${appointments.status} != 'cancelled'`);
const upcomingAppointment = reusableQuery((db) =>
  db
    .select()
    .from(appointments)
    .where(and(notCancelledOf, eq(appointments.status, "scheduled"), sql`${appointments.ends_at} > ${sql.placeholder("nowMs")}`))
    .orderBy(asc(appointments.starts_at))
    .prepare(),
);
const latestAppointment = reusableQuery((db) =>
  db.select().from(appointments).where(notCancelledOf).orderBy(desc(appointments.starts_at)).prepare(),
);

/**
 * The appointment that matters for the pipeline: the earliest upcoming
 * scheduled one, else the most recent one that was not cancelled.
 */
export function findCurrentAppointment(db: Executor, leadId: number, now: Date) {
  return upcomingAppointment(db).get({ leadId, nowMs: now.getTime() }) ?? latestAppointment(db).get({ leadId }) ?? null;
}

/** The options just offered in chat (slots), so a typed "2" can pick one. */
export function savePendingChoices(db: Executor, leadId: number, choices: { id: string; label: string }[] | null): void {
  setLeadFields(db, leadId, { pending_choices: choices });
}

export function clearPendingChoices(db: Executor, leadId: number): void {
  savePendingChoices(db, leadId, null);
}
