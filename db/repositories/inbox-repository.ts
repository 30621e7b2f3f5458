/**
 * The dashboard's Conversaciones: which chats are in progress, their last message, who took them
 * over, and a thread's messages after one already shown.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, isNull, max, or } from "drizzle-orm";
import type { Executor } from "../executor";
import type { Message } from "../schema";

export interface ConversationLead {
  id: number;
  name: string | null;
  telegram_chat_id: number | null;
  whatsapp_id: string | null;
  handoff_at: Date | null;
  last_activity_at: Date;
}

function conversationColumns(t: Executor["t"]) {
  const { leads } = t;
  return {
    id: leads.id,
    name: leads.name,
    telegram_chat_id: leads.telegram_chat_id,
    whatsapp_id: leads.whatsapp_id,
    handoff_at: leads.handoff_at,
    last_activity_at: leads.last_activity_at,
  };
}

/** Leads whose chat a person has (handoff_at set), latest first, through the partial leads_handoff_idx. */
export function listHandedOffLeads(q: Executor, limit: number): Promise<ConversationLead[]> {
  const { leads } = q.t;
  return q.db.select(conversationColumns(q.t)).from(leads).where(isNotNull(leads.handoff_at)).orderBy(desc(leads.handoff_at), desc(leads.id)).limit(limit);
}

/** Leads the bot is chatting with that wrote since `since`, most recent first (leads_activity_idx). */
export function listRecentChatLeads(q: Executor, since: Date, limit: number): Promise<ConversationLead[]> {
  const { leads } = q.t;
  return q.db
    .select(conversationColumns(q.t))
    .from(leads)
    .where(and(gte(leads.last_activity_at, since), isNull(leads.handoff_at), or(isNotNull(leads.telegram_chat_id), isNotNull(leads.whatsapp_id))))
    .orderBy(desc(leads.last_activity_at), desc(leads.id))
    .limit(limit);
}

/** Each lead's newest message (by id, which follows time), in one statement. */
export async function lastMessageOf(q: Executor, leadIds: readonly number[]): Promise<Message[]> {
  if (leadIds.length === 0) return [];
  const { messages } = q.t;
  const newest = q.db.select({ id: max(messages.id) }).from(messages).where(inArray(messages.lead_id, [...leadIds])).groupBy(messages.lead_id);
  return q.db.select().from(messages).where(inArray(messages.id, newest));
}

/** Who last took each lead's chat over (the actor of its newest lead.handoff_requested), through audit_logs_entity_idx. */
export async function handoffActors(q: Executor, leadIds: readonly number[]): Promise<Map<number, string>> {
  if (leadIds.length === 0) return new Map();
  const { auditLogs } = q.t;
  const rows = await q.db
    .select({ lead_id: auditLogs.entity_id, actor: auditLogs.actor })
    .from(auditLogs)
    .where(and(eq(auditLogs.entity, "lead"), inArray(auditLogs.entity_id, [...leadIds]), eq(auditLogs.action, "lead.handoff_requested")))
    .orderBy(asc(auditLogs.id));
  // Ascending: the newest of each lead is written last.
  return new Map(rows.map((row) => [row.lead_id!, row.actor]));
}

/** A lead's messages after the one with id `afterId`, oldest first. */
export function messagesAfter(q: Executor, leadId: number, afterId: number, limit: number): Promise<Message[]> {
  const { messages } = q.t;
  return q.db.select().from(messages).where(and(eq(messages.lead_id, leadId), gt(messages.id, afterId))).orderBy(asc(messages.id)).limit(limit);
}
