/**
 * The chats in progress, as the dashboard's Conversaciones shows them: first the leads a person
 * has (handed off, by /asesor, a call or "Tomar conversación"), then the leads chatting with the
 * bot in the last week, each with its last message; and one lead's thread.
 */
import { handoffActors, lastMessageOf, listHandedOffLeads, listRecentChatLeads, messagesAfter, type ConversationLead } from "../../db/repositories/inbox-repository";
import { findLead } from "../../db/repositories/leads-repository";
import { lastMessages } from "../../db/repositories/messages-repository";
import type { Lead, Message } from "../../db/schema";
import { NotFoundError } from "../errors";
import type { ServiceDeps } from "./context";

/** How long after its last message a chat with the bot still counts as in progress. */
export const CONVERSATION_ACTIVE_DAYS = 7;
/** Leads per group on the list. */
const LIST_LIMIT = 50;
/** Messages a thread opens with (the newest ones). */
export const THREAD_LIMIT = 50;
/** Messages fetched at most by one live update. */
const AFTER_LIMIT = 100;

export interface ConversationSummary {
  lead: ConversationLead;
  /** Who took the chat (web:<email>, lead, voice…) when a person has it. */
  takenBy: string | null;
  lastMessage: Message | null;
}

export function createInboxService({ db, clock }: Pick<ServiceDeps, "db" | "clock">) {
  return {
    /** The list: `withPerson` (handed off), then `withBot` (active in the last week, with at least one message). */
    async listConversations(): Promise<{ withPerson: ConversationSummary[]; withBot: ConversationSummary[] }> {
      const since = new Date(clock.now().getTime() - CONVERSATION_ACTIVE_DAYS * 86_400_000);
      return db.run(async (q) => {
        const withPerson = await listHandedOffLeads(q, LIST_LIMIT);
        const withBot = await listRecentChatLeads(q, since, LIST_LIMIT);
        const ids = [...withPerson, ...withBot].map((lead) => lead.id);
        const last = new Map((await lastMessageOf(q, ids)).map((message) => [message.lead_id, message]));
        const takers = await handoffActors(q, withPerson.map((lead) => lead.id));
        const summary = (lead: ConversationLead): ConversationSummary => ({ lead, takenBy: takers.get(lead.id) ?? null, lastMessage: last.get(lead.id) ?? null });
        return {
          withPerson: withPerson.map(summary),
          withBot: withBot.map(summary).filter((conversation) => conversation.lastMessage !== null),
        };
      });
    },

    /** A lead and its newest messages, oldest first (the thread reads top to bottom). */
    async thread(leadId: number): Promise<{ lead: Lead; messages: Message[]; takenBy: string | null }> {
      return db.run(async (q) => {
        const lead = await findLead(q, leadId);
        if (!lead) throw new NotFoundError("un lead", leadId);
        const messages = (await lastMessages(q, leadId, THREAD_LIMIT)).reverse();
        const takenBy = lead.handoff_at ? ((await handoffActors(q, [leadId])).get(leadId) ?? null) : null;
        return { lead, messages, takenBy };
      });
    },

    /** The lead's messages after the last one a page shows, oldest first (live updates). */
    async messagesAfter(leadId: number, afterId: number): Promise<Message[]> {
      return db.run((q) => messagesAfter(q, leadId, afterId, AFTER_LIMIT));
    },
  };
}

export type InboxService = ReturnType<typeof createInboxService>;
