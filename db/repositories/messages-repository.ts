import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Message, messages } from "../schema";
import type { Executor } from "../executor";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import type * as pgSchema from "../pg/schema";
import { setLeadFields } from "./leads-repository";
import { first, inOneStatement, rawRows, reusableQuery, reusableQueryByColumns, unmappedPlaceholder, writePlaceholders } from "../prepared";
import type { Channel, MessageStatus } from "../../src/domain/vocabulary";

type NewMessage = typeof messages.$inferInsert;

const insertMessageQuery = reusableQueryByColumns<Message>("insert_message", (q, columns) =>
  q.db.insert(q.t.messages).values(writePlaceholders(columns) as unknown as NewMessage).returning(),
);
export async function insertMessage(q: Executor, values: NewMessage): Promise<Message> {
  const [row] = await insertMessageQuery(q, values, values);
  return row!;
}

/** Several messages, answered in the order given (see inOneStatement). */
export async function insertMessages(q: Executor, rows: readonly NewMessage[]): Promise<Message[]> {
  if (!inOneStatement(q, rows)) {
    const stored: Message[] = [];
    for (const row of rows) stored.push(await insertMessage(q, row));
    return stored;
  }
  const inserted = await q.db.insert(q.t.messages).values([...rows]).returning();
  // Ids are drawn row by row in the order of VALUES: sorted by id, the rows are in the order given.
  return inserted.sort((a, b) => a.id - b.id);
}

const recordInboundQuery = reusableQueryByColumns<Message>("record_inbound", (q, columns) =>
  q.db.insert(q.t.messages).values(writePlaceholders(columns) as unknown as NewMessage).onConflictDoNothing().returning(),
);

// On PostgreSQL the message and the lead's activity go in one statement, a write in a WITH: atomic
// by itself, so it needs no transaction around it (BEGIN and COMMIT were two of a chat message's
// round trips). The lead is touched only when the message was stored (a redelivery changes nothing).
// (Built with PostgreSQL's own builders: SQLite's take no write in a WITH.)
const recordInboundInOneQuery = reusableQueryByColumns<Message>("record_inbound_with_activity", (q, columns) => {
  const db = q.db as unknown as NodePgDatabase<typeof pgSchema>;
  const { messages, leads } = q.t as unknown as typeof pgSchema;
  const stored = db.$with("stored").as(db.insert(messages).values(writePlaceholders(columns) as unknown as NewMessage).onConflictDoNothing().returning());
  const at = unmappedPlaceholder("at");
  const touched = db.$with("touched").as(
    db
      .update(leads)
      .set({
        last_activity_at: at,
        updated_at: at,
        whatsapp_last_inbound_at: sql`CASE WHEN ${sql.placeholder("channel")} = 'whatsapp' THEN ${at} ELSE ${leads.whatsapp_last_inbound_at} END`,
      })
      .where(and(eq(leads.id, sql.placeholder("lead_id")), sql`EXISTS (SELECT 1 FROM ${stored})`)),
  );
  return db.with(stored, touched).select().from(stored);
});

/**
 * Stores what the lead wrote, once: a message the channel already delivered
 * (same channel and provider id) is skipped and null comes back. A stored
 * message is activity: it ends an inactive spell and feeds the inactivity
 * triggers, and on WhatsApp it opens the 24-hour window for free-form messages.
 * Both land together: on SQLite call it inside a transaction; on PostgreSQL it
 * is one statement, atomic by itself.
 */
export async function recordInbound(q: Executor, leadId: number, channel: Channel, text: string, at: Date, externalId: string | null): Promise<Message | null> {
  const values: NewMessage = { lead_id: leadId, direction: "inbound", channel, text, external_id: externalId, at };
  if (q.dialect === "postgres") return first(await recordInboundInOneQuery(q, values, values)) ?? null;
  const [stored] = await recordInboundQuery(q, values, values);
  if (!stored) return null;
  await setLeadFields(q, leadId, { last_activity_at: at, updated_at: at, ...(channel === "whatsapp" && { whatsapp_last_inbound_at: at }) });
  return stored;
}

/** What a lead wrote, for recordInbounds. */
export interface InboundMessage {
  leadId: number;
  channel: Channel;
  text: string;
  at: Date;
  externalId: string | null;
}

/**
 * Several leads' messages as recordInbound stores each, answered in the order
 * given (null for a message already delivered). On PostgreSQL, two or more are
 * one statement like recordInbound's (see inOneStatement): the rows and each
 * lead's activity, the latest of its messages stored.
 */
export async function recordInbounds(q: Executor, items: readonly InboundMessage[]): Promise<(Message | null)[]> {
  if (!inOneStatement(q, items)) {
    const stored: (Message | null)[] = [];
    for (const item of items) stored.push(await recordInbound(q, item.leadId, item.channel, item.text, item.at, item.externalId));
    return stored;
  }
  const db = q.db as unknown as NodePgDatabase<typeof pgSchema>;
  const { messages, leads } = q.t as unknown as typeof pgSchema;
  const rows = items.map((item) => ({ lead_id: item.leadId, direction: "inbound" as const, channel: item.channel, text: item.text, external_id: item.externalId, at: item.at }));
  const stored = db.$with("stored").as(db.insert(messages).values(rows).onConflictDoNothing().returning());
  const activity = db.$with("activity").as(
    db
      .select({
        lead_id: stored.lead_id,
        at: sql<Date>`max(${stored.at})`.as("at"),
        whatsapp_at: sql<Date | null>`max(${stored.at}) FILTER (WHERE ${stored.channel} = 'whatsapp')`.as("whatsapp_at"),
      })
      .from(stored)
      .groupBy(stored.lead_id),
  );
  const touched = db.$with("touched").as(
    db
      .update(leads)
      .set({
        last_activity_at: sql`${activity.at}`,
        updated_at: sql`${activity.at}`,
        whatsapp_last_inbound_at: sql`coalesce(${activity.whatsapp_at}, ${leads.whatsapp_last_inbound_at})`,
      })
      .from(activity)
      .where(eq(leads.id, activity.lead_id)),
  );
  const inserted = (await db.with(stored, activity, touched).select().from(stored)) as Message[];
  // Ids are drawn in the order of VALUES, a skipped row's too (see insertMessages): sorted by id, the
  // stored rows come in the order given, and a message with no row of its own there was skipped.
  inserted.sort((a, b) => a.id - b.id);
  let next = 0;
  return rows.map((row) => {
    const candidate = inserted[next];
    const isIt = candidate !== undefined && candidate.lead_id === row.lead_id && candidate.channel === row.channel && candidate.external_id === row.external_id && candidate.text === row.text;
    if (!isIt) return null;
    next++;
    return candidate;
  });
}

export async function lastMessages(q: Executor, leadId: number, limit: number): Promise<Message[]> {
  const { messages } = q.t;
  return q.db.select().from(messages).where(eq(messages.lead_id, leadId)).orderBy(desc(messages.at), desc(messages.id)).limit(limit);
}

export async function markExtractionPending(q: Executor, messageId: number, pending: boolean): Promise<void> {
  await updateMessage(q, messageId, { extraction_pending: pending });
}

export async function pendingExtractions(q: Executor, limit: number): Promise<Message[]> {
  const { messages } = q.t;
  return q.db.select().from(messages).where(eq(messages.extraction_pending, true)).orderBy(asc(messages.id)).limit(limit);
}

const updateMessageQuery = reusableQueryByColumns<never>("update_message", (q, columns) =>
  q.db
    .update(q.t.messages)
    .set(writePlaceholders(columns) as Partial<NewMessage>)
    .where(eq(q.t.messages.id, sql.placeholder("$id"))),
);
async function updateMessage(q: Executor, messageId: number, values: Partial<NewMessage>): Promise<void> {
  await updateMessageQuery(q, values, { ...values, $id: messageId });
}

/** The provider's id and first status of an outbound message, once it was sent. */
export async function markMessageSent(q: Executor, messageId: number, externalId: string, status: MessageStatus, at: Date): Promise<void> {
  await updateMessage(q, messageId, { external_id: externalId, status, status_at: at });
}

/** The provider's id of a message we sent, for markMessagesSent. */
export interface SentMark {
  messageId: number;
  externalId: string;
  at: Date;
}

/** Several messages sent (markMessageSent's "sent" each); on PostgreSQL, two or more are one statement (see inOneStatement). */
export async function markMessagesSent(q: Executor, marks: readonly SentMark[]): Promise<void> {
  if (!inOneStatement(q, marks)) {
    for (const mark of marks) await markMessageSent(q, mark.messageId, mark.externalId, "sent", mark.at);
    return;
  }
  const { messages } = q.t;
  // Each column one array parameter (sql.param: drizzle would spread a bare array into a list).
  const ids = sql.param(marks.map((m) => m.messageId));
  const externalIds = sql.param(marks.map((m) => m.externalId));
  const ats = sql.param(marks.map((m) => m.at.toISOString()));
  const sent = sql`unnest(${ids}::integer[], ${externalIds}::text[], ${ats}::timestamptz[]) AS sent(id, external_id, at)`;
  const db = q.db as unknown as NodePgDatabase<typeof pgSchema>;
  await db
    .update(messages as unknown as typeof pgSchema.messages)
    .set({ external_id: sql`sent.external_id`, status: "sent", status_at: sql`sent.at` })
    .from(sent)
    .where(eq(messages.id, sql`sent.id`));
}

const messageByExternalId = reusableQuery<Message>("message_by_external_id", (q) =>
  q.db
    .select()
    .from(q.t.messages)
    .where(and(eq(q.t.messages.channel, sql.placeholder("channel")), eq(q.t.messages.external_id, sql.placeholder("externalId")))),
);
export async function findMessageByExternalId(q: Executor, channel: Channel, externalId: string): Promise<Message | undefined> {
  const [row] = await messageByExternalId(q, { channel, externalId });
  return row;
}

/**
 * The messages several provider ids name on one channel, answered in the order given
 * (undefined for an id no message has); on PostgreSQL two or more are one statement.
 */
export async function findMessagesByExternalIds(q: Executor, channel: Channel, externalIds: readonly string[]): Promise<(Message | undefined)[]> {
  if (!inOneStatement(q, externalIds)) {
    const found: (Message | undefined)[] = [];
    for (const externalId of externalIds) found.push(await findMessageByExternalId(q, channel, externalId));
    return found;
  }
  const { messages } = q.t;
  const rows = await q.db
    .select()
    .from(messages)
    .where(and(eq(messages.channel, channel), inArray(messages.external_id, [...new Set(externalIds)])))
    .orderBy(asc(messages.id));
  const byExternalId = new Map<string, Message>();
  for (const row of rows) if (!byExternalId.has(row.external_id!)) byExternalId.set(row.external_id!, row);
  return externalIds.map((externalId) => byExternalId.get(externalId));
}

/** A provider's report of a message's progress (queued, sent, delivered, read), to apply to the message with its id. */
export interface ProgressReport {
  externalId: string;
  to: MessageStatus;
  at: Date;
  errorCode: string | null;
}

/** What a progress report did: moved its message, found it where the report does not move it, or found no message. */
export type ProgressOutcome = "updated" | "unchanged" | "missing";

/**
 * Applies progress reports to the messages their ids name on `channel`: a message moves to the
 * reported status only from one of `movesFrom(to)` (the domain's forward-only rule), checked on
 * the row as it is when written; a move to `read` counts as the lead's activity. Answers, in the
 * order given, what each did. One report per id: a caller with two for one message applies the
 * second once the first is written.
 *
 * On PostgreSQL one statement, with no transaction around it: the messages found, moved and the
 * leads' activity set together. On SQLite call it inside a transaction (it reads, then writes).
 */
export async function applyProgressReports(
  q: Executor,
  channel: Channel,
  reports: readonly ProgressReport[],
  movesFrom: (to: MessageStatus) => readonly (MessageStatus | null)[],
): Promise<ProgressOutcome[]> {
  if (new Set(reports.map((report) => report.externalId)).size !== reports.length) throw new Error("two progress reports of one message in one group");
  if (q.dialect === "sqlite") {
    const found = await findMessagesByExternalIds(q, channel, reports.map((report) => report.externalId));
    const outcomes: ProgressOutcome[] = [];
    for (const [i, report] of reports.entries()) {
      const message = found[i];
      if (!message) outcomes.push("missing");
      else if (!movesFrom(report.to).includes(message.status)) outcomes.push("unchanged");
      else {
        await updateMessageStatus(q, message.id, { status: report.to, status_at: report.at, error_code: report.errorCode ?? message.error_code });
        if (report.to === "read") await setLeadFields(q, message.lead_id, { last_activity_at: report.at, updated_at: report.at });
        outcomes.push("updated");
      }
    }
    return outcomes;
  }
  const moves = [...new Set(reports.map((report) => report.to))].flatMap((to) => movesFrom(to).map((from) => ({ to, from })));
  const column = <T,>(values: T[]) => sql.param(values);
  // Sent unnamed, so planned on each run (about 0.35 ms of the server's CPU) for the values it has.
  // As a named prepared statement, PostgreSQL settled on a generic plan while the tables were
  // small (sequential scans) and kept it as messages grew, until an autoanalyze: in bench:whatsapp
  // the server's CPU per message went from 1.2 to 1.6–2.2 ms (3 runs) and the p99 at half load doubled.
  const rows = await rawRows<{ external_id: string; updated: boolean }>(
    q,
    sql`WITH wanted AS (
          SELECT * FROM unnest(${column(reports.map((r) => r.externalId))}::text[], ${column(reports.map((r) => r.to))}::text[],
                               ${column(reports.map((r) => r.at.toISOString()))}::timestamptz[], ${column(reports.map((r) => r.errorCode))}::text[])
                   AS wanted(external_id, to_status, at, error_code)
        ), moves AS (
          SELECT * FROM unnest(${column(moves.map((m) => m.to))}::text[], ${column(moves.map((m) => m.from))}::text[]) AS moves(to_status, from_status)
        ), found AS (
          SELECT DISTINCT ON (wanted.external_id) messages.id, wanted.*
            FROM wanted JOIN messages ON messages.channel = ${channel} AND messages.external_id = wanted.external_id
           ORDER BY wanted.external_id, messages.id
        ), changed AS (
          UPDATE messages SET status = found.to_status, status_at = found.at, error_code = coalesce(found.error_code, messages.error_code)
            FROM found
           WHERE messages.id = found.id
             AND EXISTS (SELECT 1 FROM moves WHERE moves.to_status = found.to_status AND moves.from_status IS NOT DISTINCT FROM messages.status)
          RETURNING messages.id, messages.lead_id, messages.status, found.at
        ), read_by AS (
          SELECT lead_id, max(at) AS at FROM changed WHERE status = 'read' GROUP BY lead_id
        ), engaged AS (
          UPDATE leads SET last_activity_at = read_by.at, updated_at = read_by.at FROM read_by WHERE leads.id = read_by.lead_id
        )
        SELECT found.external_id, changed.id IS NOT NULL AS updated FROM found LEFT JOIN changed ON changed.id = found.id`,
  );
  const outcomeOf = new Map(rows.map((row): [string, ProgressOutcome] => [row.external_id, row.updated ? "updated" : "unchanged"]));
  return reports.map((report) => outcomeOf.get(report.externalId) ?? "missing");
}

export async function updateMessageStatus(
  q: Executor,
  messageId: number,
  values: { status: MessageStatus; status_at: Date; error_code: string | null },
): Promise<void> {
  await updateMessage(q, messageId, values);
}

/** The channel of the lead's latest message to us, if any. */
export async function lastInboundChannel(q: Executor, leadId: number): Promise<Channel | null> {
  const { messages } = q.t;
  const [row] = await q.db
    .select({ channel: messages.channel })
    .from(messages)
    .where(and(eq(messages.lead_id, leadId), eq(messages.direction, "inbound")))
    .orderBy(desc(messages.at), desc(messages.id))
    .limit(1);
  return row?.channel ?? null;
}
