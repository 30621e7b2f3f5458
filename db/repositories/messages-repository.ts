import { and, asc, desc, eq } from "drizzle-orm";
import { leads, messages, type Message } from "../schema";
import type { Executor } from "../executor";

export function insertMessage(db: Executor, values: typeof messages.$inferInsert): Message {
  return db.insert(messages).values(values).returning().get();
}

/** An inbound message is activity: it ends an inactive spell and feeds the inactivity triggers. */
export function recordInbound(db: Executor, leadId: number, text: string, at: Date, externalId: string | null): Message {
  db.update(leads).set({ last_activity_at: at, updated_at: at }).where(eq(leads.id, leadId)).run();
  return insertMessage(db, { lead_id: leadId, direction: "inbound", channel: "telegram", text, external_id: externalId, at });
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
