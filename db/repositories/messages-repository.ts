import { and, asc, desc, eq, inArray, isNull, sql } from "drizzle-orm";
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

/** A delivery status to set on a message still in the status it was read in (see setStatusesIfUnchanged). */
export interface StatusChange {
  messageId: number;
  from: MessageStatus | null;
  to: MessageStatus;
  at: Date;
  errorCode: string | null;
}

/**
 * Sets each message's new status only where it is still the status it was read
 * in (compare and set: another report may have moved it since), and a `read`
 * counts as its lead's activity. Answers, in the order given, whether each
 * change was made. On PostgreSQL the changes and the leads' activity are one
 * statement; on SQLite call it inside a transaction.
 */
export async function setStatusesIfUnchanged(q: Executor, changes: readonly StatusChange[]): Promise<boolean[]> {
  if (q.dialect === "sqlite") {
    const made: boolean[] = [];
    for (const change of changes) {
      const { messages } = q.t;
      const [row] = await q.db
        .update(messages)
        .set({ status: change.to, status_at: change.at, ...(change.errorCode !== null && { error_code: change.errorCode }) })
        .where(and(eq(messages.id, change.messageId), change.from === null ? isNull(messages.status) : eq(messages.status, change.from)))
        .returning({ lead_id: messages.lead_id });
      if (row && change.to === "read") await setLeadFields(q, row.lead_id, { last_activity_at: change.at, updated_at: change.at });
      made.push(row !== undefined);
    }
    return made;
  }
  const column = <T,>(values: T[]) => sql.param(values);
  const changed = await rawRows<{ id: number; status: MessageStatus }>(
    q,
    sql`WITH wanted AS (
          SELECT * FROM unnest(${column(changes.map((c) => c.messageId))}::integer[], ${column(changes.map((c) => c.from))}::text[],
                               ${column(changes.map((c) => c.to))}::text[], ${column(changes.map((c) => c.at.toISOString()))}::timestamptz[],
                               ${column(changes.map((c) => c.errorCode))}::text[]) AS wanted(id, from_status, to_status, at, error_code)
        ), changed AS (
          UPDATE messages SET status = wanted.to_status, status_at = wanted.at, error_code = coalesce(wanted.error_code, messages.error_code)
          FROM wanted WHERE messages.id = wanted.id AND messages.status IS NOT DISTINCT FROM wanted.from_status
          RETURNING messages.id, messages.lead_id, messages.status, wanted.at
        ), read_by AS (
          SELECT lead_id, max(at) AS at FROM changed WHERE status = 'read' GROUP BY lead_id
        ), engaged AS (
          UPDATE leads SET last_activity_at = read_by.at, updated_at = read_by.at FROM read_by WHERE leads.id = read_by.lead_id
        )
        SELECT id, status FROM changed`,
  );
  // Two changes of one message in one statement: one of them was made, the one whose status the row took.
  const made = new Map(changed.map((row) => [Number(row.id), row.status]));
  return changes.map((change) => {
    const yes = made.get(change.messageId) === change.to;
    if (yes) made.delete(change.messageId);
    return yes;
  });
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
