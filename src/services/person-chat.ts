/**
 * A person at the dashboard takes a lead's chat over from the bot, writes to the lead on the lead's
 * own channel, and hands the chat back. Taking over is the same quiet mode as /asesor
 * (leads.handoff_at): the bot stores what the lead writes and answers nothing until it is handed
 * back. Part of the lead chat service (lead-chat-service.ts), which gives it its `deliver`.
 */
import { findLead } from "../../db/repositories/leads-repository";
import { insertMessage, lastInboundChannel } from "../../db/repositories/messages-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import type { Database } from "../../db/database";
import type { Lead, Message } from "../../db/schema";
import type { ChannelPort, SentOnChannel } from "../channels/channel-port";
import type { Clock } from "../clock";
import { chooseChatChannel } from "../domain/chat-channel";
import { CONTACT_CHANNEL_LABELS } from "../domain/contact-channels";
import type { Channel } from "../domain/vocabulary";
import { insideWhatsAppWindow } from "../domain/whatsapp-window";
import { ConflictError, NotFoundError } from "../errors";
import type { ConversationService } from "./conversation-service";

/** The agent_type of a message a person wrote (the bot's are perfilador, financiero…). */
export const PERSON_AGENT_TYPE = "asesor";

/** The chat channels' side of the port, built once by prospecta.ts and shared with the bot and the WhatsApp surface. */
export interface ChatPorts {
  telegram: ChannelPort | null;
  whatsapp: ChannelPort | null;
}

/** What became of a message handed to a channel (lead-chat-service's deliver). */
export type DeliveryOutcome = { delivered: true } | { delivered: false; unknown: boolean; reason: string };

type Deliver = (port: ChannelPort, lead: Lead, message: Message | null, send: () => Promise<SentOnChannel>) => Promise<DeliveryOutcome>;

export interface PersonChatDeps {
  db: Database;
  clock: Clock;
  conversation: Pick<ConversationService, "handOffLead" | "releaseHandoff">;
  ports: ChatPorts;
  deliver: Deliver;
}

export interface PersonMessageSent {
  message: Message;
  channel: Channel;
  delivered: boolean;
  /** Why it did not reach the lead, in Spanish, for the person who wrote it. */
  problem: string | null;
}

export function createPersonChat({ db, clock, conversation, ports, deliver }: PersonChatDeps) {
  async function requireLead(leadId: number): Promise<Lead> {
    const lead = await db.run((q) => findLead(q, leadId));
    if (!lead) throw new NotFoundError("un lead", leadId);
    return lead;
  }

  /** The channel and its port, or why a person cannot write to this lead now. */
  async function channelFor(lead: Lead): Promise<{ channel: Channel; port: ChannelPort }> {
    const last = await db.run((q) => lastInboundChannel(q, lead.id));
    const channel = chooseChatChannel(lead, last, { telegram: ports.telegram !== null, whatsapp: ports.whatsapp !== null });
    if (channel === null) {
      throw new ConflictError("No hay un canal de chat para escribirle a este lead: no tiene Telegram ni WhatsApp disponibles en esta instalación.");
    }
    if (channel === "whatsapp" && !insideWhatsAppWindow(lead.whatsapp_last_inbound_at, clock.now())) {
      throw new ConflictError(
        "WhatsApp solo permite escribir libremente durante las 24 horas siguientes al último mensaje del lead, y esa ventana está cerrada. Podrás responderle cuando vuelva a escribir.",
      );
    }
    return { channel, port: channel === "telegram" ? ports.telegram! : ports.whatsapp! };
  }

  return {
    /** "Tomar conversación": the bot goes quiet for this lead (audited); the lead is told nothing. */
    async takeOver(leadId: number, actor: string): Promise<{ lead: Lead; already: boolean }> {
      return conversation.handOffLead(leadId, actor);
    },

    /** "Devolver al bot": the bot answers the lead's next message again. Nothing changes if it already does. */
    async handBack(leadId: number, actor: string): Promise<{ lead: Lead; already: boolean }> {
      const lead = await requireLead(leadId);
      if (lead.handoff_at === null) return { lead, already: true };
      return { lead: await conversation.releaseHandoff(leadId, actor), already: false };
    },

    /**
     * A person's message to the lead, on the channel the lead last wrote on (if usable), only while
     * the chat is taken over (so the bot and a person never answer at once). Stored and audited
     * before it is sent, like the bot's replies; a channel that refuses it is reported back.
     */
    async sendFromPerson(leadId: number, text: string, actor: string): Promise<PersonMessageSent> {
      const lead = await requireLead(leadId);
      if (lead.handoff_at === null) {
        throw new ConflictError("Primero toma la conversación: mientras la atiende el bot no puedes escribirle al lead desde aquí.");
      }
      if (lead.opted_out) throw new ConflictError("Este lead pidió no recibir más mensajes; no se le puede escribir.");
      const { channel, port } = await channelFor(lead);
      const message = await db.transaction(async (tx) => {
        const now = clock.now();
        const stored = await insertMessage(tx, { lead_id: lead.id, direction: "outbound", channel, agent_type: PERSON_AGENT_TYPE, text, sent_by: actor, at: now });
        await insertAudit(tx, { actor, action: "lead.message_sent", entity: "lead", entity_id: lead.id, after: { message_id: stored.id, channel } }, now);
        return stored;
      });
      const outcome = await deliver(port, lead, message, () => port.sendText(lead, text));
      if (outcome.delivered) return { message, channel, delivered: true, problem: null };
      const label = CONTACT_CHANNEL_LABELS[channel];
      const problem = outcome.unknown
        ? `No sabemos si el mensaje llegó por ${label}: la conexión falló (${outcome.reason}).`
        : `${label} no entregó el mensaje: ${outcome.reason}`;
      return { message, channel, delivered: false, problem };
    },
  };
}
