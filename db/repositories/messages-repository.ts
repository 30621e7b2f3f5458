import { and, asc, desc, eq, sql } from "drizzle-orm";
import { messages, type Message } from "../schema";
import type { Executor } from "../executor";
import { setLeadFields } from "./leads-repository";
import { reusableQuery, reusableQueryByColumns, writePlaceholders, writeShape } from "../prepared";
import type { Channel, MessageStatus } from "../../src/domain/vocabulary";

type NewMessage = typeof messages.$inferInsert;

const insertMessageQuery = reusableQueryByColumns((db, columns) =>
  db.insert(messages).values(writePlaceholders(columns) as unknown as NewMessage).returning().prepare(),
);
export function insertMessage(db: Executor, values: NewMessage): Message {
  return insertMessageQuery(db, writeShape(values)).get(values)!;
}

const recordInboundQuery = reusableQueryByColumns((db, columns) =>
  db.insert(messages).values(writePlaceholders(columns) as unknown as NewMessage).onConflictDoNothing().returning().prepare(),
);

/**
 * Stores what the lead wrote, once: a message the channel already delivered
 * (same channel and provider id) is skipped and null comes back. A stored
 * message is activity: it ends an inactive spell and feeds the inactivity
 * triggers, and on WhatsApp it opens the 24-hour window for free-form messages.
 */
export function recordInbound(db: Executor, leadId: number, channel: Channel, text: string, at: Date, externalId: string | null): Message | null {
  const values: NewMessage = { lead_id: leadId, direction: "inbound", channel, text, external_id: externalId, at };
  const stored = recordInboundQuery(db, writeShape(values)).get(values);
  if (!stored) return null;
  setLeadFields(db, leadId, { last_activity_at: at, updated_at: at, ...(channel === "whatsapp" && { whatsapp_last_inbound_at: at }) });
  return stored;
}

export function lastMessages(db: Executor, leadId: number, limit: number): Message[] {
  return db.select().from(messages).where(and(eq(messages.lead_id, leadId))).orderBy(desc(messages.at), desc(messages.id)).limit(limit).all();
}

export function markExtractionPending(db: Executor, messageId: number, pending: boolean): void {
  updateMessage(db, messageId, { extraction_pending: pending });
}

export function pendingExtractions(db: Executor, limit: number): Message[] {
  return db.select().from(messages).where(eq(messages.extraction_pending, true)).orderBy(asc(messages.id)).limit(limit).all();
}

const updateMessageQuery = reusableQueryByColumns((db, columns) =>
  db
    .update(messages)
    .set(writePlaceholders(columns) as Partial<NewMessage>)
    .where(eq(messages.id, sql.placeholder("$id")))
    .prepare(),
);
function updateMessage(db: Executor, messageId: number, values: Partial<NewMessage>): void {
  updateMessageQuery(db, writeShape(values)).run({ ...values, $id: messageId });
}

/** The provider's id and first status of an outbound message, once it was sent. */
export function markMessageSent(db: Executor, messageId: number, externalId: string, status: MessageStatus, at: Date): void {
  updateMessage(db, messageId, { external_id: externalId, status, status_at: at });
}

const messageByExternalId = reusableQuery((db) =>
  db
    .select()
    .from(messages)
    .where(and(eq(messages.channel, sql.placeholder("channel")), eq(messages.external_id, sql.placeholder("externalId"))))
    .prepare(),
);
export function findMessageByExternalId(db: Executor, channel: Channel, externalId: string): Message | undefined {
  return messageByExternalId(db).get({ channel, externalId });
}

export function updateMessageStatus(db: Executor, messageId: number, values: { status: MessageStatus; status_at: Date; error_code: string | null }): void {
  updateMessage(db, messageId, values);
}

/** The channel of the lead's latest message to us, if any. */
export function lastInboundChannel(db: Executor, leadId: number): Channel | null {
  const row = db
    .select({ channel: messages.channel })
    .from(messages)
    .where(and(eq(messages.lead_id, leadId), eq(messages.direction, "inbound")))
    .orderBy(desc(messages.at), desc(messages.id))
    .limit(1)
    .get();
  return row?.channel ?? null;
}
