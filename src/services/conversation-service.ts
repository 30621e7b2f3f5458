/**
 * A lead's chat, whatever the surface: store the message, let the stage's
 * agent read it and act through the turn's actions, and store its reply. The
 * actions are where every state change happens, through the domain rules:
 * facts are merged and saved, the lead moved when it qualifies and approved by
 * the rule; slots, a booking, a handoff or an opt-out are what the agent asked
 * for, checked here and carried out once the turn is over.
 */
import { findLead, findLeadByPhone, findLeadByTelegramChat, findLeadByWhatsappId, updateLeadRow } from "../../db/repositories/leads-repository";
import { findMessageByExternalId, insertMessage, markExtractionPending, pendingExtractions, recordInbound } from "../../db/repositories/messages-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import type { Lead, Message } from "../../db/schema";
import type { Channel } from "../domain/vocabulary";
import { agentForStage, readyToBook, type LeadAgent, type TurnAnswer } from "../agents/lead-agent";
import type { LeadFacts } from "../agents/lead-facts";
import { mergeFacts } from "../domain/fact-merge";
import { isProfileComplete, type ApprovalDecision } from "../domain/qualification";
import { applyApprovalRule } from "./approval";
import type { Logger } from "../logger";
import type { ServiceDeps } from "./context";
import type { LeadFields, LeadService } from "./lead-service";
import type { PipelineService } from "./pipeline-service";
import { startLeadTurn } from "./lead-turn";

export const LEAD_ACTOR = "bot:lead";

/** Who is writing, on which channel. One person is one lead whatever channels they use. */
export interface ChatIdentity {
  channel: Channel;
  /** The lead's address on the channel: the Telegram chat id, the WhatsApp id (WaId). */
  address: string;
  username?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  /** A number the channel itself vouches for (WhatsApp's WaId), in E.164. */
  phone?: string | undefined;
}

/** Where a new lead came from: the deep-link payload or the channel, and the ad when there was one. */
export interface LeadOrigin {
  source?: string | null;
  detail?: Record<string, string> | null;
}

export interface ConversationDeps extends ServiceDeps {
  leads: LeadService;
  pipeline: PipelineService;
  agent: LeadAgent;
  log: Logger;
}

export interface TurnResult {
  lead: Lead;
  /** Null when the bot must stay quiet (a person took over the chat). */
  reply: string | null;
  /** The reply as stored, to be given the provider's id once sent. */
  message: Message | null;
  moved_to: string[];
  /** The lead is approved, has no meeting yet, and the agent offers slots (or the approval just came): the surface offers them. */
  offer_booking: boolean;
  /** An offered slot the agent booked for the lead: the surface books it after the reply. */
  book_at: Date | null;
  /** This message made the lead financially approved. */
  approved_now: boolean;
  /** The agent handed the chat to a person in this turn: admins are told, the bot goes quiet. */
  handed_off: boolean;
  /** The agent opted the lead out in this turn: nothing more is sent. */
  opted_out: boolean;
}

const SORRY = "Gracias por tu mensaje. Tuve un problema para responder; en un momento te escribo.";

export function createConversationService(deps: ConversationDeps) {
  const { db, clock, leads, pipeline, agent, log } = deps;

  function findByAddress(identity: ChatIdentity): Lead | undefined {
    return identity.channel === "telegram" ? findLeadByTelegramChat(db, Number(identity.address)) : findLeadByWhatsappId(db, identity.address);
  }

  /**
   * The lead behind a chat: by its address on the channel, else (a person the
   * agency already knows from another channel, a call or the API) by the phone
   * the channel vouches for, which links the new channel to that lead; else a
   * new lead.
   */
  function findOrCreateLead(identity: ChatIdentity, origin: LeadOrigin = {}): { lead: Lead; created: boolean } {
    const existing = findByAddress(identity);
    if (existing) return { lead: existing, created: false };
    const known = identity.phone ? findLeadByPhone(db, identity.phone) : undefined;
    if (known) return { lead: linkChannel(known, identity), created: false };
    const name = [identity.firstName, identity.lastName].filter(Boolean).join(" ").trim();
    const lead = leads.createLead(
      {
        ...(identity.channel === "telegram"
          ? { telegram_chat_id: Number(identity.address), telegram_username: identity.username ?? null }
          : { whatsapp_id: identity.address }),
        ...(identity.phone && { phone: identity.phone }),
        name: name || null,
        source: origin.source ?? identity.channel,
        ...(origin.detail && { source_detail: origin.detail }),
      },
      LEAD_ACTOR,
    );
    return { lead, created: true };
  }

  function linkChannel(lead: Lead, identity: ChatIdentity): Lead {
    return db.transaction((tx) => {
      const now = clock.now();
      const row = updateLeadRow(tx, lead.id, { ...(identity.channel === "whatsapp" ? { whatsapp_id: identity.address } : { telegram_chat_id: Number(identity.address) }), updated_at: now });
      insertAudit(tx, { actor: LEAD_ACTOR, action: "lead.channel_linked", entity: "lead", entity_id: lead.id, after: { channel: identity.channel } }, now);
      return row;
    });
  }

  function storeReply(lead: Lead, text: string, agentType: string, channel: Channel): Message {
    return insertMessage(db, { lead_id: lead.id, direction: "outbound", channel, agent_type: agentType, text, at: clock.now() });
  }

  /** Null when the channel already delivered this message (a resent webhook): it was handled then. */
  function inbound(lead: Lead, identity: ChatIdentity, text: string, externalId: string | null): Message | null {
    // The message and the lead's activity land together (one commit, not two).
    return db.transaction((tx) => recordInbound(tx, lead.id, identity.channel, text, clock.now(), externalId));
  }

  /** Saves the facts the lead stated; returns what changed. */
  function saveFacts(lead: Lead, facts: LeadFacts): { lead: Lead; learned: Record<string, unknown> } {
    const learned = mergeFacts({ ...lead, currency: lead.currency }, facts);
    if (Object.keys(learned).length === 0) return { lead, learned };
    return { lead: leads.updateLead(lead.id, learned as LeadFields, LEAD_ACTOR), learned };
  }

  /** Applies the approval rule once the financiero has what it needs. */
  function applyApproval(lead: Lead): { lead: Lead; approval: ApprovalDecision | null } {
    return applyApprovalRule(db, clock, lead);
  }

  /** Moves the lead as far as its facts allow (first reply, then a complete profile). */
  function advance(lead: Lead): { lead: Lead; moved: string[] } {
    const moved: string[] = [];
    let current = lead;
    for (let guard = 0; guard < 2; guard++) {
      const ready =
        current.pipeline_stage === "entrada" || (current.pipeline_stage === "perfilamiento" && isProfileComplete(current));
      if (!ready) break;
      const result = pipeline.autoAdvance(current.id, LEAD_ACTOR);
      if (!result.moved) break;
      current = result.lead;
      moved.push(result.to_stage);
    }
    return { lead: current, moved };
  }

  /** Facts in, then the moves and the approval they allow. */
  function applyFacts(lead: Lead, facts: LeadFacts) {
    const saved = saveFacts(lead, facts);
    const moved = advance(saved.lead);
    const approved = applyApproval(moved.lead);
    return { saved, moved, approved };
  }

  function optOutReply(channel: Channel): string {
    return `Listo, ya no te enviaremos mensajes ni llamadas. Si cambias de opinión, escribe ${channel === "telegram" ? "/alta" : "ALTA"}.`;
  }

  function markOptedOut(lead: Lead, actor = LEAD_ACTOR): Lead {
    return lead.opted_out ? lead : leads.updateLead(lead.id, { opted_out: true }, actor);
  }

  /** The bot goes quiet in this chat until an admin releases it. */
  function markHandoff(lead: Lead, actor = LEAD_ACTOR): { lead: Lead; already: boolean; reply: string } {
    const already = lead.handoff_at !== null;
    const updated = already
      ? lead
      : db.transaction((tx) => {
          const now = clock.now();
          const row = updateLeadRow(tx, lead.id, { handoff_at: now, updated_at: now });
          insertAudit(tx, { actor, action: "lead.handoff_requested", entity: "lead", entity_id: lead.id }, now);
          return row;
        });
    const reply = already
      ? "Ya avisé a un asesor; te escribirá en breve por este chat."
      : "Con gusto. Un asesor de nuestro equipo te escribirá por aquí en breve.";
    return { lead: updated, already, reply };
  }

  return {
    agentKind: agent.kind,

    /** Re-reads messages the model missed (error, timeout); a message still unreadable stays pending. */
    async retryPendingExtractions(limit = 50): Promise<{ retried: number; recovered: number }> {
      let recovered = 0;
      const pending = pendingExtractions(db, limit);
      for (const message of pending) {
        const lead = findLead(db, message.lead_id);
        if (!lead) continue;
        const extraction = await agent.extract(message.text, lead);
        if (extraction.degraded) continue;
        applyFacts(findLead(db, message.lead_id) ?? lead, extraction.facts);
        markExtractionPending(db, message.id, false);
        recovered++;
      }
      return { retried: pending.length, recovered };
    },
    findOrCreateLead,
    storeReply,
    /** Whether a message with this provider id was already received (webhook retries are handled once). */
    hasReceived(channel: Channel, externalId: string): boolean {
      return findMessageByExternalId(db, channel, externalId) !== undefined;
    },
    /** Stores what the lead wrote when no agent turn follows (a pick, a request for slots, an attachment); null for a message already received. */
    recordText(identity: ChatIdentity, lead: Lead, text: string, externalId: string | null): Message | null {
      return inbound(lead, identity, text, externalId);
    },

    /** /start [payload]: the deep-link payload is kept as the lead's source. */
    startChat(identity: ChatIdentity, payload: string | null): { lead: Lead; reply: string; created: boolean; message: Message } {
      const { lead, created } = findOrCreateLead(identity, { source: payload ? payload.slice(0, 100) : null });
      inbound(lead, identity, payload ? `/start ${payload}` : "/start", null);
      const name = lead.name?.split(/\s+/)[0];
      const reply = created || lead.pipeline_stage === "entrada"
        ? `¡Hola${name ? ` ${name}` : ""}! Soy el asistente virtual de la inmobiliaria. Te ayudo a encontrar tu próxima propiedad. ¿Qué tipo de propiedad buscas: casa, departamento, terreno…?`
        : `¡Hola de nuevo${name ? ` ${name}` : ""}! Aquí sigo para ayudarte.`;
      const message = storeReply(lead, reply, "perfilador", identity.channel);
      return { lead, reply, created, message };
    },

    /** /baja, "STOP", "ya no me escribas": no more campaign messages or calls. */
    optOut(identity: ChatIdentity, text: string): { lead: Lead; reply: string; message: Message } {
      const { lead } = findOrCreateLead(identity);
      inbound(lead, identity, text, null);
      const updated = markOptedOut(lead);
      const reply = optOutReply(identity.channel);
      const message = storeReply(updated, reply, "perfilador", identity.channel);
      return { lead: updated, reply, message };
    },

    /** /alta: the lead wants messages again. */
    optIn(identity: ChatIdentity, text = "/alta"): { lead: Lead; reply: string; message: Message } {
      const { lead } = findOrCreateLead(identity);
      inbound(lead, identity, text, null);
      const updated = lead.opted_out ? leads.updateLead(lead.id, { opted_out: false }, LEAD_ACTOR) : lead;
      const reply = "¡Bienvenido de vuelta! Volverás a recibir nuestros mensajes. ¿En qué te ayudo?";
      const message = storeReply(updated, reply, agentForStage(updated), identity.channel);
      return { lead: updated, reply, message };
    },

    /** /asesor or asking for a person: the bot goes quiet in this chat until an admin releases it. */
    requestHandoff(identity: ChatIdentity, text: string): { lead: Lead; reply: string; already: boolean; message: Message } {
      const { lead } = findOrCreateLead(identity);
      inbound(lead, identity, text, null);
      const { lead: updated, already, reply } = markHandoff(lead);
      const message = storeReply(updated, reply, agentForStage(updated), identity.channel);
      return { lead: updated, reply, already, message };
    },

    /** The lead asked for a person outside a chat (on a call): the bot goes quiet in the lead's chats too. */
    handOffLead(leadId: number, actor: string): { lead: Lead; already: boolean } {
      const { lead, already } = markHandoff(leads.requireLead(leadId), actor);
      return { lead, already };
    },

    /** The lead asked for nothing more outside a chat (on a call). */
    optOutLead(leadId: number, actor: string): Lead {
      return markOptedOut(leads.requireLead(leadId), actor);
    },

    /** An admin gives the chat back to the bot. */
    releaseHandoff(leadId: number, actor: string): Lead {
      const lead = leads.requireLead(leadId);
      return db.transaction((tx) => {
        const now = clock.now();
        const row = updateLeadRow(tx, lead.id, { handoff_at: null, updated_at: now });
        insertAudit(tx, { actor, action: "lead.handoff_released", entity: "lead", entity_id: lead.id }, now);
        return row;
      });
    },

    /** `known`: facts the channel itself gave (a shared location), saved before the agent reads the message. */
    async handleMessage(identity: ChatIdentity, text: string, externalId: string | null, origin: LeadOrigin = {}, known: LeadFacts = {}): Promise<TurnResult> {
      let { lead } = findOrCreateLead(identity, origin);
      const received = inbound(lead, identity, text, externalId);
      // Already received (on this instance or another): that delivery had its turn.
      if (!received || lead.handoff_at) {
        return { lead, reply: null, message: null, moved_to: [], offer_booking: false, book_at: null, approved_now: false, handed_off: false, opted_out: false };
      }
      const wasApproved = lead.financially_approved;

      const turn = startLeadTurn(lead, (facts) => {
        const applied = applyFacts(findLead(db, lead.id) ?? lead, facts);
        return { lead: applied.approved.lead, learned: applied.saved.learned, moved: applied.moved.moved, approval: applied.approved.approval };
      });
      if (Object.keys(known).length > 0) lead = turn.actions.saveFacts(known).lead;
      let answer: TurnAnswer;
      try {
        answer = await agent.converse({ lead, text, offered: turn.offered }, turn.actions);
      } catch (error) {
        log.warn({ err: error, lead_id: lead.id }, "agent turn failed; the message is kept for a retry");
        answer = { reply: SORRY, agent: agentForStage(turn.actions.progress().lead), degraded: true };
      }
      if (answer.degraded) markExtractionPending(db, received.id, true);

      const outcome = turn.outcome();
      lead = outcome.lead;
      let reply = answer.reply;
      let handedOff = false;
      if (outcome.optOut) {
        lead = markOptedOut(lead);
        reply = optOutReply(identity.channel);
      } else if (outcome.handoff) {
        const handoff = markHandoff(lead);
        lead = handoff.lead;
        reply = handoff.reply;
        handedOff = !handoff.already;
      }
      const message = storeReply(lead, reply, answer.agent, identity.channel);
      const approvedNow = !wasApproved && lead.financially_approved;
      const goesOn = !outcome.optOut && !outcome.handoff;
      return {
        lead,
        reply,
        message,
        moved_to: outcome.moved,
        // The approval itself always brings the slots; after that, the agent decides when to offer them again.
        offer_booking: goesOn && readyToBook(lead) && (outcome.slots || approvedNow) && outcome.bookAt === null,
        book_at: goesOn ? outcome.bookAt : null,
        approved_now: approvedNow,
        handed_off: handedOff,
        opted_out: outcome.optOut,
      };
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
