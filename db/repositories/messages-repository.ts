import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Message, messages } from "../schema";
import type { Executor } from "../executor";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import type * as pgSchema from "../pg/schema";
import { setLeadFields } from "./leads-repository";
import { first, reusableQuery, reusableQueryByColumns, unmappedPlaceholder, writePlaceholders } from "../prepared";
import type { Channel, MessageStatus } from "../../src/domain/vocabulary";

type NewMessage = typeof messages.$inferInsert;

const insertMessageQuery = reusableQueryByColumns<Message>("insert_message", (q, columns) =>
  q.db.insert(q.t.messages).values(writePlaceholders(columns) as unknown as NewMessage).returning(),
);
export async function insertMessage(q: Executor, values: NewMessage): Promise<Message> {
  const [row] = await insertMessageQuery(q, values, values);
  return row!;
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
 * is one statement (recordsInboundInOneStatement), atomic by itself.
 */
export async function recordInbound(q: Executor, leadId: number, channel: Channel, text: string, at: Date, externalId: string | null): Promise<Message | null> {
  const values: NewMessage = { lead_id: leadId, direction: "inbound", channel, text, external_id: externalId, at };
  if (q.dialect === "postgres") return first(await recordInboundInOneQuery(q, values, values)) ?? null;
  const [stored] = await recordInboundQuery(q, values, values);
  if (!stored) return null;
  await setLeadFields(q, leadId, { last_activity_at: at, updated_at: at, ...(channel === "whatsapp" && { whatsapp_last_inbound_at: at }) });
  return stored;
}

/** Whether recordInbound is one statement here (PostgreSQL), needing no transaction to land whole. */
export function recordsInboundInOneStatement(q: Pick<Executor, "dialect">): boolean {
  return q.dialect === "postgres";
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
