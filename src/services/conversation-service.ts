/**
 * A lead's chat, whatever the surface: store the message, let the stage's
 * agent read it and act through the turn's actions, and store its reply. The
 * actions are where every state change happens, through the domain rules:
 * facts are merged and saved, the lead moved when it qualifies and approved by
 * the rule; slots, a booking, a handoff or an opt-out are what the agent asked
 * for, checked here and carried out once the turn is over.
 */
import {
  findLead,
  findLeadByPhone,
  findLeadsByAddress,
  findLeadWithScoreFacts,
  updateLeadRowWithAudits,
} from "../../db/repositories/leads-repository";
import { findMessageByExternalId, markExtractionPending, pendingExtractions } from "../../db/repositories/messages-repository";
import type { Lead, Message } from "../../db/schema";
import { isUniqueViolation } from "../../db/unique-violation";
import { ConflictError, NotFoundError } from "../errors";
import type { Channel, PipelineStage } from "../domain/vocabulary";
import { evaluateAutoAdvance } from "../domain/pipeline";
import { agentForStage, readyToBook, type LeadAgent, type TurnAnswer } from "../agents/lead-agent";
import type { LeadFacts } from "../agents/lead-facts";
import { mergeFacts } from "../domain/fact-merge";
import { isProfileComplete } from "../domain/qualification";
import { approvalChange } from "./approval";
import type { Logger } from "../logger";
import type { ServiceDeps } from "./context";
import { assertCoherent, leadUpdateAudit, type LeadFields, type LeadService } from "./lead-service";
import { autoMove, type PipelineService, type StageChange } from "./pipeline-service";
import { withRefreshedScore } from "./lead-scoring";
import { startLeadTurn, type FactsApplied } from "./lead-turn";
import { createChatMessageWrites } from "./chat-message-writes";
import { createGroupWriterPerKey } from "../group-writer";

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

export interface HandleMessage {
  identity: ChatIdentity;
  text: string;
  /** The channel's id of the message: a second delivery with the same id is not handled again. */
  externalId: string | null;
  /** Where a new lead came from (its first message). */
  origin?: LeadOrigin;
  /** Facts the channel itself gave (a shared location), saved before the agent reads the message. */
  known?: LeadFacts;
  /** The lead behind `identity` when the caller just found it (not read again). */
  lead?: Lead | undefined;
  /** Called once the message is stored as new, before anything else is done with it. */
  received?: ((lead: Lead) => Promise<void>) | undefined;
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
  const messageWrites = createChatMessageWrites(db, log);

  // The lead behind each chat that writes, looked up together with the other chats' (as the
  // messages are written: chat-message-writes.ts), one statement for many chats under load.
  const leadsByAddress = createGroupWriterPerKey<Channel, string, Lead | undefined>((channel) => (addresses) =>
    db.run((q) =>
      channel === "telegram" ? findLeadsByAddress(q, "telegram_chat_id", addresses.map(Number)) : findLeadsByAddress(q, "whatsapp_id", addresses),
    ),
  );
  function findByAddress(identity: ChatIdentity): Promise<Lead | undefined> {
    return leadsByAddress.write(identity.channel, identity.address);
  }

  /**
   * The lead behind a chat: by its address on the channel, else (a person the
   * agency already knows from another channel, a call or the API) by the phone
   * the channel vouches for, which links the new channel to that lead; else a
   * new lead.
   */
  async function findOrCreateLead(identity: ChatIdentity, origin: LeadOrigin = {}, lostRace = false): Promise<{ lead: Lead; created: boolean }> {
    const phone = identity.phone;
    const existing = await findByAddress(identity);
    const known = !existing && phone ? await db.run((q) => findLeadByPhone(q, phone)) : undefined;
    if (existing) return { lead: existing, created: false };
    if (known) return { lead: await linkChannel(known, identity), created: false };
    const name = [identity.firstName, identity.lastName].filter(Boolean).join(" ").trim();
    const lead = await createChatLead(identity, origin, name).catch(async (error: unknown) => {
      // Two first messages of one new chat handled at once (two instances, or a redelivery): the other created it.
      if (lostRace || (!(error instanceof ConflictError) && !isUniqueViolation(error))) throw error;
      return undefined;
    });
    if (!lead) return findOrCreateLead(identity, origin, true);
    return { lead, created: true };
  }

  function createChatLead(identity: ChatIdentity, origin: LeadOrigin, name: string): Promise<Lead> {
    return leads.createLead(
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
  }

  function linkChannel(lead: Lead, identity: ChatIdentity): Promise<Lead> {
    return db.transaction(async (tx) => {
      const now = clock.now();
      const address = identity.channel === "whatsapp" ? { whatsapp_id: identity.address } : { telegram_chat_id: Number(identity.address) };
      return updateLeadRowWithAudits(tx, lead.id, { ...address, updated_at: now }, {
        audits: [{ actor: LEAD_ACTOR, action: "lead.channel_linked", entity: "lead", entity_id: lead.id, after: { channel: identity.channel } }],
        at: now,
      });
    });
  }

  function storeReply(lead: Lead, text: string, agentType: string, channel: Channel): Promise<Message> {
    return messageWrites.storeReply({ lead_id: lead.id, direction: "outbound", channel, agent_type: agentType, text, at: clock.now() });
  }

  /** Null when the channel already delivered this message (a resent webhook): it was handled then. */
  function inbound(lead: Lead, identity: ChatIdentity, text: string, externalId: string | null): Promise<Message | null> {
    // The message and the lead's activity land together (one commit, not two).
    return messageWrites.recordInbound({ leadId: lead.id, channel: identity.channel, text, at: clock.now(), externalId });
  }

  /** Whether the auto-advance rules may move this lead now (the chat advances a lead through its first reply and a complete profile). */
  function mayAdvance(lead: Lead): boolean {
    return lead.pipeline_stage === "entrada" || (lead.pipeline_stage === "perfilamiento" && isProfileComplete(lead));
  }

  /**
   * Facts in, then the moves and the approval they allow, in one transaction:
   * the lead read once with its score facts, and its changes (facts, stage,
   * score, approval) written in one UPDATE. A turn that moves the lead twice
   * (entrada to calificacion_financiera in one message) writes the row once per
   * move, so the campaigns of the stage passed through see the lead in it, as
   * they did when each move was its own transaction. `known`: the lead as the
   * caller has it; a message that would change nothing on it costs no statement.
   */
  async function applyFacts(known: Lead, said: LeadFacts): Promise<FactsApplied> {
    if (Object.keys(mergeFacts(known, said)).length === 0 && !mayAdvance(known) && !approvalChange(known).change) {
      return { lead: known, learned: {}, moved: [], approval: approvalChange(known).approval };
    }
    const { applied, changes } = await db.transaction(async (tx) => {
      const now = clock.now();
      const found = await findLeadWithScoreFacts(tx, known.id);
      if (!found) throw new NotFoundError("un lead", known.id);
      const { lead, facts } = found;
      const learned = mergeFacts(lead, said) as LeadFields;
      const view: Lead = { ...lead, ...learned };
      assertCoherent(view);
      const factsAudits = Object.keys(learned).length > 0 ? [leadUpdateAudit(lead, learned, LEAD_ACTOR)] : [];
      // The moves first, on the lead as the facts leave it; then the approval, on the lead as the moves leave it.
      const moves: PipelineStage[] = [];
      for (let stage = view.pipeline_stage; moves.length < 2 && mayAdvance({ ...view, pipeline_stage: stage }); ) {
        const at = { ...view, pipeline_stage: stage };
        const evaluation = evaluateAutoAdvance(at, await pipeline.advanceFacts(tx, at, facts, now), now);
        if (!evaluation.ready) break;
        moves.push((stage = evaluation.to));
      }
      const { approval, change: approved } = approvalChange({ ...view, pipeline_stage: moves.at(-1) ?? view.pipeline_stage });
      const approvalFields = approved ? { financially_approved: approved.financially_approved } : {};
      const approvalAudits = approved ? [approved.audit] : [];
      const changes: StageChange[] = [];
      let current = lead;
      for (const [i, to] of moves.entries()) {
        const last = i === moves.length - 1;
        const change = await pipeline.moveWithin(tx, current, autoMove(to), LEAD_ACTOR, now, facts, {
          changes: { ...(i === 0 && learned), ...(last && approvalFields) },
          auditsBefore: i === 0 ? factsAudits : [],
          auditsAfter: last ? approvalAudits : [],
        });
        changes.push(change);
        current = change.lead;
      }
      if (moves.length === 0 && (factsAudits.length > 0 || approved)) {
        const changed = await withRefreshedScore(tx, lead, { ...learned, ...approvalFields, updated_at: now }, facts);
        current = await updateLeadRowWithAudits(tx, lead.id, changed, { audits: [...factsAudits, ...approvalAudits], at: now });
      }
      return { applied: { lead: current, learned, moved: moves, approval }, changes };
    });
    for (const change of changes) pipeline.announceMove(change, LEAD_ACTOR);
    return applied;
  }

  function optOutReply(channel: Channel): string {
    return `Listo, ya no te enviaremos mensajes ni llamadas. Si cambias de opinión, escribe ${channel === "telegram" ? "/alta" : "ALTA"}.`;
  }

  async function markOptedOut(lead: Lead, actor = LEAD_ACTOR): Promise<Lead> {
    return lead.opted_out ? lead : leads.updateLead(lead.id, { opted_out: true }, actor);
  }

  /** The bot goes quiet in this chat until an admin releases it. */
  async function markHandoff(lead: Lead, actor = LEAD_ACTOR): Promise<{ lead: Lead; already: boolean; reply: string }> {
    const already = lead.handoff_at !== null;
    const updated = already
      ? lead
      : await db.transaction(async (tx) => {
          const now = clock.now();
          const audit = { actor, action: "lead.handoff_requested", entity: "lead", entity_id: lead.id };
          return updateLeadRowWithAudits(tx, lead.id, { handoff_at: now, updated_at: now }, { audits: [audit], at: now });
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
      const pending = await db.run((q) => pendingExtractions(q, limit));
      for (const message of pending) {
        const lead = await db.run((q) => findLead(q, message.lead_id));
        if (!lead) continue;
        const extraction = await agent.extract(message.text, lead);
        if (extraction.degraded) continue;
        await applyFacts((await db.run((q) => findLead(q, message.lead_id))) ?? lead, extraction.facts);
        await db.run((q) => markExtractionPending(q, message.id, false));
        recovered++;
      }
      return { retried: pending.length, recovered };
    },
    findOrCreateLead,
    storeReply,
    /** The provider's id of a reply once it went out (see ChatMessageWrites.markSent). */
    markSent: messageWrites.markSent,
    /** Whether a message with this provider id was already received (webhook retries are handled once). */
    async hasReceived(channel: Channel, externalId: string): Promise<boolean> {
      return (await db.run((q) => findMessageByExternalId(q, channel, externalId))) !== undefined;
    },
    /** Stores what the lead wrote when no agent turn follows (a pick, a request for slots, an attachment); null for a message already received. */
    recordText(identity: ChatIdentity, lead: Lead, text: string, externalId: string | null): Promise<Message | null> {
      return inbound(lead, identity, text, externalId);
    },

    /** /start [payload]: the deep-link payload is kept as the lead's source. */
    async startChat(identity: ChatIdentity, payload: string | null): Promise<{ lead: Lead; reply: string; created: boolean; message: Message }> {
      const { lead, created } = await findOrCreateLead(identity, { source: payload ? payload.slice(0, 100) : null });
      await inbound(lead, identity, payload ? `/start ${payload}` : "/start", null);
      const name = lead.name?.split(/\s+/)[0];
      const reply = created || lead.pipeline_stage === "entrada"
        ? `¡Hola${name ? ` ${name}` : ""}! Soy el asistente virtual de la inmobiliaria. Te ayudo a encontrar tu próxima propiedad. ¿Qué tipo de propiedad buscas: casa, departamento, terreno…?`
        : `¡Hola de nuevo${name ? ` ${name}` : ""}! Aquí sigo para ayudarte.`;
      const message = await storeReply(lead, reply, "perfilador", identity.channel);
      return { lead, reply, created, message };
    },

    /** /baja, "STOP", "ya no me escribas": no more campaign messages or calls. */
    async optOut(identity: ChatIdentity, text: string): Promise<{ lead: Lead; reply: string; message: Message }> {
      const { lead } = await findOrCreateLead(identity);
      await inbound(lead, identity, text, null);
      const updated = await markOptedOut(lead);
      const reply = optOutReply(identity.channel);
      const message = await storeReply(updated, reply, "perfilador", identity.channel);
      return { lead: updated, reply, message };
    },

    /** /alta: the lead wants messages again. */
    async optIn(identity: ChatIdentity, text = "/alta"): Promise<{ lead: Lead; reply: string; message: Message }> {
      const { lead } = await findOrCreateLead(identity);
      await inbound(lead, identity, text, null);
      const updated = lead.opted_out ? await leads.updateLead(lead.id, { opted_out: false }, LEAD_ACTOR) : lead;
      const reply = "¡Bienvenido de vuelta! Volverás a recibir nuestros mensajes. ¿En qué te ayudo?";
      const message = await storeReply(updated, reply, agentForStage(updated), identity.channel);
      return { lead: updated, reply, message };
    },

    /** /asesor or asking for a person: the bot goes quiet in this chat until an admin releases it. */
    async requestHandoff(identity: ChatIdentity, text: string): Promise<{ lead: Lead; reply: string; already: boolean; message: Message }> {
      const { lead } = await findOrCreateLead(identity);
      await inbound(lead, identity, text, null);
      const { lead: updated, already, reply } = await markHandoff(lead);
      const message = await storeReply(updated, reply, agentForStage(updated), identity.channel);
      return { lead: updated, reply, already, message };
    },

    /** The lead asked for a person outside a chat (on a call): the bot goes quiet in the lead's chats too. */
    async handOffLead(leadId: number, actor: string): Promise<{ lead: Lead; already: boolean }> {
      const { lead, already } = await markHandoff(await leads.requireLead(leadId), actor);
      return { lead, already };
    },

    /** The lead asked for nothing more outside a chat (on a call). */
    async optOutLead(leadId: number, actor: string): Promise<Lead> {
      return markOptedOut(await leads.requireLead(leadId), actor);
    },

    /** An admin gives the chat back to the bot. */
    async releaseHandoff(leadId: number, actor: string): Promise<Lead> {
      const lead = await leads.requireLead(leadId);
      return db.transaction(async (tx) => {
        const now = clock.now();
        const audit = { actor, action: "lead.handoff_released", entity: "lead", entity_id: lead.id };
        return updateLeadRowWithAudits(tx, lead.id, { handoff_at: null, updated_at: now }, { audits: [audit], at: now });
      });
    },

    /** One message of a lead's chat: stored once, read by the stage's agent, answered (see HandleMessage). */
    async handleMessage({ identity, text, externalId, origin = {}, known = {}, lead: found, received: onReceived }: HandleMessage): Promise<TurnResult> {
      let lead = found ?? (await findOrCreateLead(identity, origin)).lead;
      const received = await inbound(lead, identity, text, externalId);
      if (received) await onReceived?.(lead);
      // Already received (on this instance or another): that delivery had its turn.
      if (!received || lead.handoff_at) {
        return { lead, reply: null, message: null, moved_to: [], offer_booking: false, book_at: null, approved_now: false, handed_off: false, opted_out: false };
      }
      const wasApproved = lead.financially_approved;

      // Each save starts from the lead as the turn has it (re-read in the save's transaction when it writes).
      const turn = startLeadTurn(lead, (facts) => applyFacts(turn.actions.progress().lead, facts));
      if (Object.keys(known).length > 0) lead = (await turn.actions.saveFacts(known)).lead;
      let answer: TurnAnswer;
      try {
        answer = await agent.converse({ lead, text, offered: turn.offered }, turn.actions);
      } catch (error) {
        log.warn({ err: error, lead_id: lead.id }, "agent turn failed; the message is kept for a retry");
        answer = { reply: SORRY, agent: agentForStage(turn.actions.progress().lead), degraded: true };
      }
      if (answer.degraded) await db.run((q) => markExtractionPending(q, received.id, true));

      const outcome = turn.outcome();
      lead = outcome.lead;
      let reply = answer.reply;
      let handedOff = false;
      if (outcome.optOut) {
        lead = await markOptedOut(lead);
        reply = optOutReply(identity.channel);
      } else if (outcome.handoff) {
        const handoff = await markHandoff(lead);
        lead = handoff.lead;
        reply = handoff.reply;
        handedOff = !handoff.already;
      }
      const message = await storeReply(lead, reply, answer.agent, identity.channel);
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
