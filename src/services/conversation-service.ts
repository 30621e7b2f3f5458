/**
 * A lead's chat, whatever the surface: store the message, let the stage's
 * agent extract facts, save them through the lead rules, move the lead when it
 * qualifies, and compose the reply. The agent only returns facts and text;
 * every state change goes through the domain rules here.
 */
import { findLead, findLeadByTelegramChat, updateLeadRow } from "../../db/repositories/leads-repository";
import { insertMessage, markExtractionPending, pendingExtractions, recordInbound } from "../../db/repositories/messages-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import type { Lead } from "../../db/schema";
import { agentForStage, type LeadAgent } from "../agents/lead-agent";
import type { LeadFacts } from "../agents/lead-facts";
import { mergeFacts } from "../domain/fact-merge";
import { isProfileComplete, type ApprovalDecision } from "../domain/qualification";
import { applyApprovalRule } from "./approval";
import type { Logger } from "../logger";
import type { ServiceDeps } from "./context";
import type { LeadFields, LeadService } from "./lead-service";
import type { PipelineService } from "./pipeline-service";

export const LEAD_ACTOR = "bot:lead";

export interface ChatIdentity {
  chatId: number;
  username?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
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
  moved_to: string[];
  /** The lead is approved and has no meeting yet: the surface offers slots. */
  offer_booking: boolean;
  /** This message made the lead financially approved. */
  approved_now: boolean;
}

export function createConversationService(deps: ConversationDeps) {
  const { db, clock, leads, pipeline, agent, log } = deps;

  function findOrCreateLead(identity: ChatIdentity, source: string | null): { lead: Lead; created: boolean } {
    const existing = findLeadByTelegramChat(db, identity.chatId);
    if (existing) return { lead: existing, created: false };
    const name = [identity.firstName, identity.lastName].filter(Boolean).join(" ").trim();
    const lead = leads.createLead(
      { telegram_chat_id: identity.chatId, telegram_username: identity.username ?? null, name: name || null, source: source ?? "telegram" },
      LEAD_ACTOR,
    );
    return { lead, created: true };
  }

  function storeReply(lead: Lead, text: string, agentType: string): void {
    insertMessage(db, { lead_id: lead.id, direction: "outbound", channel: "telegram", agent_type: agentType, text, at: clock.now() });
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

    /** /start [payload]: the deep-link payload is kept as the lead's source. */
    startChat(identity: ChatIdentity, payload: string | null): { lead: Lead; reply: string; created: boolean } {
      const { lead, created } = findOrCreateLead(identity, payload ? payload.slice(0, 100) : null);
      recordInbound(db, lead.id, payload ? `/start ${payload}` : "/start", clock.now(), null);
      const name = lead.name?.split(/\s+/)[0];
      const reply = created || lead.pipeline_stage === "entrada"
        ? `¡Hola${name ? ` ${name}` : ""}! Soy el asistente virtual de la inmobiliaria. Te ayudo a encontrar tu próxima propiedad. ¿Qué tipo de propiedad buscas: casa, departamento, terreno…?`
        : `¡Hola de nuevo${name ? ` ${name}` : ""}! Aquí sigo para ayudarte.`;
      storeReply(lead, reply, "perfilador");
      return { lead, reply, created };
    },

    /** /baja, "STOP", "ya no me escribas": no more campaign messages or calls. */
    optOut(identity: ChatIdentity, text: string): { lead: Lead; reply: string } {
      const { lead } = findOrCreateLead(identity, null);
      recordInbound(db, lead.id, text, clock.now(), null);
      const updated = lead.opted_out ? lead : leads.updateLead(lead.id, { opted_out: true }, LEAD_ACTOR);
      const reply = "Listo, ya no te enviaremos mensajes ni llamadas. Si cambias de opinión, escribe /alta.";
      storeReply(updated, reply, "perfilador");
      return { lead: updated, reply };
    },

    /** /alta: the lead wants messages again. */
    optIn(identity: ChatIdentity): { lead: Lead; reply: string } {
      const { lead } = findOrCreateLead(identity, null);
      recordInbound(db, lead.id, "/alta", clock.now(), null);
      const updated = lead.opted_out ? leads.updateLead(lead.id, { opted_out: false }, LEAD_ACTOR) : lead;
      const reply = "¡Bienvenido de vuelta! Volverás a recibir nuestros mensajes. ¿En qué te ayudo?";
      storeReply(updated, reply, agentForStage(updated));
      return { lead: updated, reply };
    },

    /** /asesor or asking for a person: the bot goes quiet in this chat until an admin releases it. */
    requestHandoff(identity: ChatIdentity, text: string): { lead: Lead; reply: string; already: boolean } {
      const { lead } = findOrCreateLead(identity, null);
      recordInbound(db, lead.id, text, clock.now(), null);
      const already = lead.handoff_at !== null;
      const updated = already
        ? lead
        : db.transaction((tx) => {
            const now = clock.now();
            const row = updateLeadRow(tx, lead.id, { handoff_at: now, updated_at: now });
            insertAudit(tx, { actor: LEAD_ACTOR, action: "lead.handoff_requested", entity: "lead", entity_id: lead.id }, now);
            return row;
          });
      const reply = already
        ? "Ya avisé a un asesor; te escribirá en breve por este chat."
        : "Con gusto. Un asesor de nuestro equipo te escribirá por aquí en breve.";
      storeReply(updated, reply, agentForStage(updated));
      return { lead: updated, reply, already };
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

    async handleMessage(identity: ChatIdentity, text: string, externalId: string | null): Promise<TurnResult> {
      let { lead } = findOrCreateLead(identity, null);
      const inbound = recordInbound(db, lead.id, text, clock.now(), externalId);
      if (lead.handoff_at) return { lead, reply: null, moved_to: [], offer_booking: false, approved_now: false };
      const wasApproved = lead.financially_approved;

      let facts: LeadFacts = {};
      try {
        const extraction = await agent.extract(text, lead);
        facts = extraction.facts;
        if (extraction.degraded) markExtractionPending(db, inbound.id, true);
      } catch (error) {
        log.warn({ err: error, lead_id: lead.id }, "fact extraction failed; the message is kept for a retry");
        markExtractionPending(db, inbound.id, true);
      }
      const updated = applyFacts(lead, facts);
      const saved = updated.saved;
      const moved = updated.moved;
      const approved = updated.approved;
      lead = approved.lead;
      const agentType = agentForStage(lead);
      let reply: string;
      try {
        reply = await agent.reply({ agent: agentType, lead, learned: saved.learned, approval: approved.approval, text });
      } catch (error) {
        log.warn({ err: error, lead_id: lead.id }, "agent reply failed");
        reply = "Gracias por tu mensaje. Tuve un problema para responder; en un momento te escribo.";
      }
      storeReply(lead, reply, agentType);
      const offerBooking = agentType === "agenda" && lead.pipeline_stage === "calificacion_financiera";
      return { lead, reply, moved_to: moved.moved, offer_booking: offerBooking, approved_now: !wasApproved && lead.financially_approved };
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
