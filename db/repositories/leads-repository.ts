/** SQL for leads, their stage history and the facts the pipeline rules read. */
import { and, asc, count, desc, eq, getTableColumns, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { Lead, NewLead, appointments, leadStageHistory } from "../schema";
import type { Executor } from "../executor";
import { first, inOneStatement, rawRows, reusableQuery, reusableQueryByColumns, timeValue, writePlaceholders } from "../prepared";
import type { PipelineStage } from "../../src/domain/vocabulary";
import { countLeadsInStage } from "./lead-stage-tallies-repository";
import { arrayInsert } from "../array-insert";
import { lockedForChange } from "../row-locks";
import { auditRow, insertAudits, type AuditEntry } from "./audit-repository";
import { anyCampaignFiresOnEntering } from "./campaigns-repository";
import { hasActiveEnrollment } from "./enrollments-repository";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import type * as pgSchema from "../pg/schema";

const insertLeadQuery = reusableQueryByColumns<Lead>("insert_lead", (q, columns) =>
  q.db.insert(q.t.leads).values(writePlaceholders(columns) as unknown as NewLead).returning(),
);
export async function insertLead(q: Executor, values: NewLead): Promise<Lead> {
  return first(await insertLeadQuery(q, values, values))!;
}

/** New leads, answered in the order given (see inOneStatement). */
export async function insertLeads(q: Executor, rows: readonly NewLead[]): Promise<Lead[]> {
  if (!inOneStatement(q, rows)) {
    const leads: Lead[] = [];
    for (const row of rows) leads.push(await insertLead(q, row));
    return leads;
  }
  return insertLeadsAsArrays(q, rows as readonly Record<string, unknown>[]);
}
const insertLeadsAsArrays = arrayInsert<Lead>("insert_leads", (t) => t.leads, true);

const leadWhere = (column: "id" | "phone" | "telegram_chat_id" | "whatsapp_id") =>
  reusableQuery<Lead>(`lead_by_${column}`, (q) => q.db.select().from(q.t.leads).where(eq(q.t.leads[column], sql.placeholder("value"))));
const leadById = leadWhere("id");
const leadByPhone = leadWhere("phone");
const leadByTelegramChat = leadWhere("telegram_chat_id");
const leadByWhatsappId = leadWhere("whatsapp_id");
const leadToChangeById = reusableQuery<Lead>("lead_to_change_by_id", (q) =>
  lockedForChange(q, q.db.select().from(q.t.leads).where(eq(q.t.leads.id, sql.placeholder("value"))), q.t.leads),
);

export async function findLead(q: Executor, id: number): Promise<Lead | undefined> {
  return first(await leadById(q, { value: id }));
}

/** The lead, read inside the transaction that will change it: no other change of it runs until that one ends (db/row-locks.ts). */
export async function findLeadToChange(tx: Executor, id: number): Promise<Lead | undefined> {
  return first(await leadToChangeById(tx, { value: id }));
}

export async function findLeadByPhone(q: Executor, phone: string): Promise<Lead | undefined> {
  return first(await leadByPhone(q, { value: phone }));
}

export async function findLeadByTelegramChat(q: Executor, chatId: number): Promise<Lead | undefined> {
  return first(await leadByTelegramChat(q, { value: chatId }));
}

export async function findLeadByWhatsappId(q: Executor, waId: string): Promise<Lead | undefined> {
  return first(await leadByWhatsappId(q, { value: waId }));
}

type LeadAddress = "telegram_chat_id" | "whatsapp_id";
// One statement for any number of addresses (an array parameter), so PostgreSQL prepares it once.
const leadsWhereAny = (column: LeadAddress) =>
  reusableQuery<Lead>(`leads_by_any_${column}`, (q) => q.db.select().from(q.t.leads).where(sql`${q.t.leads[column]} = ANY(${sql.placeholder("values")})`));
const leadsByAny = { telegram_chat_id: leadsWhereAny("telegram_chat_id"), whatsapp_id: leadsWhereAny("whatsapp_id") };

/**
 * The leads behind several chats on one channel (Telegram chat ids or WhatsApp ids),
 * answered in the order given, undefined for an address no lead has. On PostgreSQL, two
 * or more are one statement (see inOneStatement).
 */
export async function findLeadsByAddress<Column extends LeadAddress>(q: Executor, column: Column, addresses: readonly NonNullable<Lead[Column]>[]): Promise<(Lead | undefined)[]> {
  const one = column === "telegram_chat_id" ? leadByTelegramChat : leadByWhatsappId;
  if (!inOneStatement(q, addresses)) {
    const found: (Lead | undefined)[] = [];
    for (const address of addresses) found.push(first(await one(q, { value: address })));
    return found;
  }
  const rows = await leadsByAny[column](q, { values: [...addresses] });
  const byAddress = new Map(rows.map((lead) => [lead[column], lead]));
  return addresses.map((address) => byAddress.get(address));
}

// The lead's id goes in a placeholder no column can be named.
const updateLeadQuery = reusableQueryByColumns<Lead>("update_lead", (q, columns) =>
  q.db
    .update(q.t.leads)
    .set(writePlaceholders(columns) as Partial<NewLead>)
    .where(eq(q.t.leads.id, sql.placeholder("$id")))
    .returning(),
);
export async function updateLeadRow(q: Executor, id: number, values: Partial<NewLead>): Promise<Lead> {
  return first(await updateLeadQuery(q, values, { ...values, $id: id }))!;
}

/** Audit rows written with a change of the lead's row, all at `at`, in their order. */
export interface LeadChangeAudits {
  audits: readonly AuditEntry[];
  at: Date;
}

/** What the statement that moved a lead saw beside it, in the move's transaction (see moveLeadRow). */
export interface SeenByMove {
  /** The lead had an active campaign enrollment, which the move may end. */
  activeEnrollments: boolean;
  /** An active campaign fires on the stage entered. */
  stageCampaigns: boolean;
}

type SeenColumns = { seen_enrollments: boolean; seen_stage_campaigns: boolean };

/**
 * A PostgreSQL UPDATE of the lead with its audit rows (and a move's history row) inserted by the
 * same statement, as data-modifying CTEs, which run once and to completion with it: a move is one
 * round trip instead of three. Audit rows go in as one JSON array, inserted in its order. A move
 * also answers what it saw beside the lead (SeenByMove), so that the campaign engine asks no more.
 */
function updateWithRecordsQuery<Row>(name: string, move: boolean) {
  return reusableQueryByColumns<Row>(name, (q, columns) => {
    const db = q.db as unknown as NodePgDatabase<typeof pgSchema>;
    const leads = q.t.leads as unknown as typeof pgSchema.leads;
    const audits = db.$with("audits", {}).as(
      sql`INSERT INTO audit_logs (actor, action, entity, entity_id, before, after, at)
          SELECT a.actor, a.action, a.entity, a.entity_id, a.before, a.after, ${sql.placeholder("$at")}::timestamptz
          FROM jsonb_to_recordset(${sql.placeholder("$audits")}::jsonb) AS a(actor text, action text, entity text, entity_id integer, before jsonb, after jsonb)`,
    );
    const history = db.$with("history", {}).as(
      sql`INSERT INTO lead_stage_history (lead_id, from_stage, to_stage, reason, actor, forced, at)
          VALUES (${sql.placeholder("$id")}::integer, ${sql.placeholder("$from")}::text, ${sql.placeholder("$to")}::text,
                  ${sql.placeholder("$reason")}::text, ${sql.placeholder("$actor")}::text, ${sql.placeholder("$forced")}::boolean, ${sql.placeholder("$historyAt")}::timestamptz)`,
    );
    const update = db
      .with(...(move ? [history, audits] : [audits]))
      .update(leads)
      .set(writePlaceholders(columns) as Partial<NewLead>)
      .where(eq(leads.id, sql.placeholder("$id")));
    if (!move) return update.returning();
    return update.returning({
      ...getTableColumns(leads),
      seen_enrollments: hasActiveEnrollment(q, leads.id),
      seen_stage_campaigns: anyCampaignFiresOnEntering(q, leads.pipeline_stage),
    });
  });
}
const updateLeadAudited = updateWithRecordsQuery<Lead>("update_lead_audited", false);
const moveLeadRecorded = updateWithRecordsQuery<Lead & SeenColumns>("move_lead_recorded", true);

const auditsParameters = ({ audits, at }: LeadChangeAudits) => ({
  $at: at,
  // Each row's `at` in the JSON is not read (the statement's column list leaves it out): $at is.
  $audits: JSON.stringify(audits.map((entry) => auditRow(entry, at))),
});

/**
 * The lead's row changed, with its audit rows, inside the caller's transaction. On PostgreSQL one
 * statement; on SQLite, which has no round trips to save, one after another.
 */
export async function updateLeadRowWithAudits(q: Executor, id: number, values: Partial<NewLead>, audited: LeadChangeAudits): Promise<Lead> {
  if (q.dialect === "sqlite") {
    const lead = await updateLeadRow(q, id, values);
    await insertAudits(q, audited.audits, audited.at);
    return lead;
  }
  return first(await updateLeadAudited(q, values, { ...values, $id: id, ...auditsParameters(audited) }))!;
}

/**
 * A stage move's write, inside the caller's transaction: the lead's row, its history row and
 * its audit rows. On PostgreSQL one statement, which also tells what it saw beside the lead
 * (SeenByMove); on SQLite one after another, and `seen` is left to be read.
 */
export async function moveLeadRow(
  q: Executor,
  id: number,
  values: Partial<NewLead>,
  history: NewStageHistory,
  audited: LeadChangeAudits,
): Promise<{ lead: Lead; seen?: SeenByMove }> {
  if (history.lead_id !== id) throw new Error(`a history row of lead ${history.lead_id} given with a move of lead ${id}`);
  if (q.dialect === "sqlite") {
    const lead = await updateLeadRowWithAudits(q, id, values, audited);
    await insertStageHistory(q, history);
    return { lead };
  }
  const row = first(
    await moveLeadRecorded(q, values, {
      ...values,
      $id: id,
      ...auditsParameters(audited),
      $from: history.from_stage ?? null,
      $to: history.to_stage,
      $reason: history.reason ?? null,
      $actor: history.actor,
      $forced: history.forced ?? false,
      $historyAt: history.at,
    }),
  )!;
  const { seen_enrollments, seen_stage_campaigns, ...lead } = row;
  return { lead, seen: { activeEnrollments: seen_enrollments, stageCampaigns: seen_stage_campaigns } };
}

const setLeadFieldsQuery = reusableQueryByColumns<never>("set_lead_fields", (q, columns) =>
  q.db
    .update(q.t.leads)
    .set(writePlaceholders(columns) as Partial<NewLead>)
    .where(eq(q.t.leads.id, sql.placeholder("$id"))),
);
/** As updateLeadRow, when the caller needs nothing back (no row read and mapped). */
export async function setLeadFields(q: Executor, id: number, values: Partial<NewLead>): Promise<void> {
  await setLeadFieldsQuery(q, values, { ...values, $id: id });
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
function likeCondition(leads: Executor["t"]["leads"], q: string): SQL {
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
 * ignored) through an index: leads_search on SQLite (migration 0009), the
 * trigram index leads_search_trgm_idx on PostgreSQL (migrations-pg 0003).
 */
export async function listLeads(q: Executor, filter: LeadFilter): Promise<{ items: Lead[]; total: number }> {
  const { leads } = q.t;
  const phrase = filter.q ? searchPhrase(filter.q) : null;
  if (phrase && !filter.stage && q.dialect === "sqlite") {
    // The index holds every lead in id order: it pages and counts by itself, without reading the
    // leads it skips (a third of 100,000 leads matching took 25 ms through leads, 5 ms here).
    const ids = await rawRows<{ id: number }>(
      q,
      sql`SELECT rowid AS id FROM leads_search WHERE leads_search MATCH ${phrase} ORDER BY rowid DESC LIMIT ${filter.limit} OFFSET ${filter.skip}`,
    );
    const items = ids.length ? await q.db.select().from(leads).where(inArray(leads.id, ids.map((row) => row.id))).orderBy(desc(leads.id)) : [];
    const [counted] = await rawRows<{ n: number }>(q, sql`SELECT count(*) AS n FROM leads_search WHERE leads_search MATCH ${phrase}`);
    return { items, total: counted?.n ?? 0 };
  }
  const conditions: SQL[] = [];
  if (filter.stage) conditions.push(eq(leads.pipeline_stage, filter.stage));
  if (filter.q) conditions.push(searchCondition(q, filter.q, phrase));
  const where = conditions.length ? and(...conditions) : undefined;
  // Both at once: outside a transaction PostgreSQL runs them on two connections, and a search
  // matching thousands of leads spends most of its time counting them (a trigram match is read
  // again from the row, so the count cannot come from the index alone).
  const [items, [counted]] = await Promise.all([
    q.db.select().from(leads).where(where).orderBy(desc(leads.id)).limit(filter.limit).offset(filter.skip),
    q.db.select({ n: count() }).from(leads).where(where),
  ]);
  return { items, total: counted?.n ?? 0 };
}

/**
 * The search as a condition on leads, through the dialect's index when `q` is long enough for trigrams.
 * Shared with the dashboard's board (board-repository.ts), so both search alike.
 */
export function searchCondition(q: Executor, text: string, phrase: string | null = searchPhrase(text)): SQL {
  const { leads } = q.t;
  if (q.dialect === "sqlite") {
    return phrase ? sql`${leads.id} IN (SELECT rowid FROM leads_search WHERE leads_search MATCH ${phrase})` : likeCondition(leads, text);
  }
  // search_text is the stored column the trigram index covers (migrations-pg 0008), made by
  // prospecta_search_text from the lead's fields; the search goes through the same normalisation.
  const searched = phoneDigits(text) ?? text;
  const pattern = `%${searched.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql`${leads}.search_text LIKE prospecta_search_text(${pattern}::text) ESCAPE '\\'`;
}

// The page's ids first, from the index alone, then only those leads: PostgreSQL reads the
// heap row of every lead an OFFSET skips (an index scan fetches each row before the limit
// counts it), 34,000 of them for the last page of perfilamiento in bench:api, 20–56 ms;
// the index-only walk takes 4–6 ms. SQLite already skipped without reading the rows.
// Built once (reusableQuery): building both selects on every page was a tenth of its time.
function stagePageQuery(name: string, direction: typeof asc) {
  return reusableQuery<Lead>(name, (q) => {
    const { leads } = q.t;
    const order = [direction(leads.stage_changed_at), direction(leads.id)];
    const pageIds = q.db
      .select({ id: leads.id })
      .from(leads)
      .where(eq(leads.pipeline_stage, sql.placeholder("stage")))
      .orderBy(...order)
      .limit(sql.placeholder("limit"))
      .offset(sql.placeholder("skip"));
    return q.db.select().from(leads).where(inArray(leads.id, pageIds)).orderBy(...order);
  });
}
const stagePageNewestFirst = stagePageQuery("stage_page", desc);
const stagePageOldestFirst = stagePageQuery("stage_page_oldest_first", asc);

/**
 * One page of a stage, newest arrivals first. The order and filter match the
 * (pipeline_stage, stage_changed_at, id) index, so the database walks the index and
 * stops after the page instead of sorting the stage.
 *
 * An OFFSET still walks every entry it skips (on PostgreSQL 5 ms for 33,000 leads, 9 ms
 * once writes have left pages to check against the heap), so a page nearer the stage's
 * end is read from that end, oldest first, and turned round: no page walks more than
 * half the stage. The stage's count says where its end is; it is read first, and a lead
 * moving in between shifts the page as it would any page read a moment later.
 */
export async function listLeadsInStage(q: Executor, stage: PipelineStage, skip: number, limit: number) {
  const total = await countLeadsInStage(q, stage);
  if (skip >= total) return { items: [], total };
  const after = total - skip - limit; // leads past the page's end
  if (after >= skip) return { items: await stagePageNewestFirst(q, { stage, skip, limit }), total };
  const items = await stagePageOldestFirst(q, { stage, skip: Math.max(0, after), limit: Math.min(limit, total - skip) });
  return { items: items.reverse(), total };
}

/** Leads of a stage with no activity since `before`, the longest silent first. */
export async function listInactiveLeads(q: Executor, stage: PipelineStage, before: Date, skip: number, limit: number) {
  const { leads } = q.t;
  const where = and(eq(leads.pipeline_stage, stage), lt(leads.last_activity_at, before));
  const items = await q.db.select().from(leads).where(where).orderBy(asc(leads.last_activity_at)).limit(limit).offset(skip);
  const [counted] = await q.db.select({ n: count() }).from(leads).where(where);
  return { items, total: counted?.n ?? 0 };
}

type NewStageHistory = typeof leadStageHistory.$inferInsert;
const insertStageHistoryQuery = reusableQueryByColumns<never>("insert_stage_history", (q, columns) =>
  q.db.insert(q.t.leadStageHistory).values(writePlaceholders(columns) as unknown as NewStageHistory),
);
export async function insertStageHistory(q: Executor, entry: NewStageHistory): Promise<void> {
  await insertStageHistoryQuery(q, entry, entry);
}

/** Several history rows (see inOneStatement). */
export async function insertStageHistories(q: Executor, entries: readonly NewStageHistory[]): Promise<void> {
  if (!inOneStatement(q, entries)) {
    for (const entry of entries) await insertStageHistory(q, entry);
    return;
  }
  await insertStageHistoriesAsArrays(q, entries as readonly Record<string, unknown>[]);
}
const insertStageHistoriesAsArrays = arrayInsert("insert_stage_histories", (t) => t.leadStageHistory, false);

export async function listStageHistory(q: Executor, leadId: number) {
  const { leadStageHistory } = q.t;
  return q.db
    .select()
    .from(leadStageHistory)
    .where(eq(leadStageHistory.lead_id, leadId))
    .orderBy(asc(leadStageHistory.at), asc(leadStageHistory.id));
}

// Commands (/start, /baja…) are not replies: a lead that only pressed Start has not answered yet.
const inboundRepliesOf = (q: Executor) => {
  const { messages } = q.t;
  return sql`(SELECT count(*) FROM ${messages} WHERE ${messages.lead_id} = ${sql.placeholder("leadId")} AND ${messages.direction} = 'inbound' AND ${messages.text} NOT LIKE '/%')`;
};
const answeredCallsOf = (q: Executor) => {
  const { voiceCalls } = q.t;
  return sql`(SELECT count(*) FROM ${voiceCalls} WHERE ${voiceCalls.lead_id} = ${sql.placeholder("leadId")} AND ${voiceCalls.status} IN ('completed', 'in_progress'))`;
};

// What the score reads beside the lead's own fields. "Has an appointment" is whether
// findCurrentAppointment would find one: any that is not cancelled.
const scoreFactColumns = (q: Executor) => {
  const { appointments } = q.t;
  return {
    inbound: inboundRepliesOf(q).mapWith(Number),
    answered: answeredCallsOf(q).mapWith(Number),
    appointment: sql`EXISTS (SELECT 1 FROM ${appointments} WHERE ${appointments.lead_id} = ${sql.placeholder("leadId")} AND ${appointments.status} != 'cancelled')`.mapWith(
      (value: unknown) => value === true || Number(value) === 1,
    ),
  };
};
type ScoreFactsRow = { inbound: number; answered: number; appointment: boolean };
export type ScoreFacts = { inboundMessages: number; answeredCalls: number; hasAppointment: boolean };
const scoreFactsOf = (row: ScoreFactsRow | undefined): ScoreFacts => ({
  inboundMessages: row?.inbound ?? 0,
  answeredCalls: row?.answered ?? 0,
  hasAppointment: row?.appointment ?? false,
});

const scoreFactsQuery = reusableQuery<ScoreFactsRow>("lead_score_facts", (q) =>
  q.db.select(scoreFactColumns(q)).from(q.t.leads).where(eq(q.t.leads.id, sql.placeholder("leadId"))),
);

/** The engagement and whether there is an appointment, as the score reads them (computeLeadScore). */
export async function readScoreFacts(q: Executor, leadId: number): Promise<ScoreFacts> {
  return scoreFactsOf(first(await scoreFactsQuery(q, { leadId })));
}

// The lead and its score facts in one statement, for a change that rescores it (a stage move):
// on PostgreSQL each statement is a round trip, nine of them per move before this. The lead is
// read to be changed, so its row is locked for the transaction (lockedForChange).
const leadWithScoreFactsQuery = reusableQuery<{ lead: Lead } & ScoreFactsRow>("lead_with_score_facts", (q) =>
  lockedForChange(q, q.db.select({ lead: q.t.leads, ...scoreFactColumns(q) }).from(q.t.leads).where(eq(q.t.leads.id, sql.placeholder("leadId"))), q.t.leads),
);

/** The lead with what its score reads, inside the transaction that will change it (moves, a chat turn's facts): locked as findLeadToChange. */
export async function findLeadWithScoreFacts(q: Executor, leadId: number): Promise<{ lead: Lead; facts: ScoreFacts } | undefined> {
  const row = first(await leadWithScoreFactsQuery(q, { leadId }));
  return row && { lead: row.lead, facts: scoreFactsOf(row) };
}

const notCancelledOf = (a: Executor["t"]["appointments"]) => and(eq(a.lead_id, sql.placeholder("leadId")), sql`${a.status} != 'cancelled'`);
// Two statements, each walking appointments_lead_idx in order and stopping at its first row: one that
// sorts both kinds together needs a temporary b-tree, and took longer than the two (SQLite, measured).
const upcomingAppointment = reusableQuery<typeof appointments.$inferSelect>("upcoming_appointment", (q) => {
  const { appointments } = q.t;
  return q.db
    .select()
    .from(appointments)
    .where(and(notCancelledOf(appointments), eq(appointments.status, "scheduled"), sql`${appointments.ends_at} > ${sql.placeholder("now")}`))
    .orderBy(asc(appointments.starts_at))
    .limit(1);
});
const latestAppointment = reusableQuery<typeof appointments.$inferSelect>("latest_appointment", (q) => {
  const { appointments } = q.t;
  return q.db.select().from(appointments).where(notCancelledOf(appointments)).orderBy(desc(appointments.starts_at)).limit(1);
});

/**
 * The appointment that matters for the pipeline: the earliest upcoming
 * scheduled one, else the most recent one that was not cancelled.
 */
export async function findCurrentAppointment(q: Executor, leadId: number, now: Date) {
  return (
    first(await upcomingAppointment(q, { leadId, now: timeValue(q, now) })) ?? first(await latestAppointment(q, { leadId })) ?? null
  );
}

/** The options just offered in chat (slots), so a typed "2" can pick one. */
export async function savePendingChoices(q: Executor, leadId: number, choices: { id: string; label: string }[] | null): Promise<void> {
  await setLeadFields(q, leadId, { pending_choices: choices });
}

export async function clearPendingChoices(q: Executor, leadId: number): Promise<void> {
  await savePendingChoices(q, leadId, null);
}
