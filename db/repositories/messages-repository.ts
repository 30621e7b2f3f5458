import { and, asc, desc, eq } from "drizzle-orm";
import { leads, messages, type Message } from "../schema";
import type { Executor } from "../executor";
import type { Channel, MessageStatus } from "../../src/domain/vocabulary";

export function insertMessage(db: Executor, values: typeof messages.$inferInsert): Message {
  return db.insert(messages).values(values).returning().get();
}

/** An inbound message is activity: it ends an inactive spell and feeds the inactivity triggers. */
/** On WhatsApp it also opens the 24-hour window for free-form messages. */
export function recordInbound(db: Executor, leadId: number, channel: Channel, text: string, at: Date, externalId: string | null): Message {
  db.update(leads)
    .set({ last_activity_at: at, updated_at: at, ...(channel === "whatsapp" && { whatsapp_last_inbound_at: at }) })
    .where(eq(leads.id, leadId))
    .run();
  return insertMessage(db, { lead_id: leadId, direction: "inbound", channel, text, external_id: externalId, at });
}

export function lastMessages(db: Executor, leadId: number, limit: number): Message[] {
  return db.select().from(messages).where(and(eq(messages.lead_id, leadId))).orderBy(desc(messages.at), desc(messages.id)).limit(limit).all();
}

export function markExtractionPending(db: Executor, messageId: number, pending: boolean): void {
  db.update(messages).set({ extraction_pending: pending }).where(eq(messages.id, messageId)).run();
}

export function pendingExtractions(db: Executor, limit: number): Message[] {
  return db.select().from(messages).where(eq(messages.extraction_pending, true)).orderBy(asc(messages.id)).limit(limit).all();
}

/** The provider's id and first status of an outbound message, once it was sent. */
export function markMessageSent(db: Executor, messageId: number, externalId: string, status: MessageStatus, at: Date): void {
  db.update(messages).set({ external_id: externalId, status, status_at: at }).where(eq(messages.id, messageId)).run();
}

export function findMessageByExternalId(db: Executor, channel: Channel, externalId: string): Message | undefined {
  return db.select().from(messages).where(and(eq(messages.channel, channel), eq(messages.external_id, externalId))).get();
}

export function updateMessageStatus(db: Executor, messageId: number, values: { status: MessageStatus; status_at: Date; error_code: string | null }): void {
  db.update(messages).set(values).where(eq(messages.id, messageId)).run();
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
