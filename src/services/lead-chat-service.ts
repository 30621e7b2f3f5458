/**
 * A lead's chat on any channel, end to end: what the lead wrote (a command, a
 * free text, a pick, a location, a voice note) goes through the conversation
 * service and the domain rules, and every answer goes out through the
 * channel's port. Telegram and WhatsApp only translate their protocol to
 * these calls; this file knows neither.
 */
import { updateMessageStatus } from "../../db/repositories/messages-repository";
import type { Lead, Message } from "../../db/schema";
import type { AdminNotifier, ChannelPort, Choice, SentOnChannel } from "../channels/channel-port";
import { DeliveryError, PermanentDeliveryError, UnknownDeliveryError } from "../channels/delivery-errors";
import { markChannelUnreachable } from "./channel-reachability";
import type { Clock } from "../clock";
import { leadLine, leadSummaryForAdmins } from "../domain/admin-messages";
import { pickChoice, readIntent } from "../domain/chat-intents";
import { slotChoiceId, slotFromChoiceId } from "../domain/slot-choices";
import { formatAppointmentDate } from "../domain/templates";
import type { Database } from "../../db/database";
import { BookingInProgressError, DomainError } from "../errors";
import type { Logger } from "../logger";
import type { LeadFacts } from "../agents/lead-facts";
import type { BookingService } from "./booking-service";
import { LEAD_ACTOR, type ChatIdentity, type ConversationService, type LeadOrigin } from "./conversation-service";
import { VOICE_ACTOR } from "./call-results-service";
import { clearPendingChoices, savePendingChoices } from "../../db/repositories/leads-repository";
import { createPersonChat, type ChatPorts, type DeliveryOutcome } from "./person-chat";

export interface LeadChatDeps {
  db: Database;
  clock: Clock;
  conversation: ConversationService;
  booking: BookingService;
  admins: AdminNotifier;
  /** The channels a person writes to a lead on from the dashboard (null: not configured here). */
  ports: ChatPorts;
  timeZone: string;
  log: Logger;
}

const CALENDAR_DOWN = "No pude consultar la agenda en este momento. Escríbeme «horarios» en unos minutos y te comparto opciones.";
const TEXT_ONLY = "Por ahora solo puedo leer mensajes de texto. ¿Me lo escribes, por favor?";

export function createLeadChatService(deps: LeadChatDeps) {
  const { db, clock, conversation, booking, admins, log } = deps;

  /**
   * Sends through the port and keeps the provider's id on the stored message.
   * A channel that refuses the lead is answered here, not by the caller: the
   * message is marked failed, a refusal for good marks the lead unreachable on
   * that channel, and the turn ends quietly (the lead cannot be told anyway).
   */
  async function deliver(port: ChannelPort, lead: Lead, message: Message | null, send: () => Promise<SentOnChannel>): Promise<DeliveryOutcome> {
    try {
      const { externalId } = await send();
      if (message && externalId) await conversation.markSent(port.channel, message.id, externalId, clock.now());
      return { delivered: true };
    } catch (error) {
      if (!(error instanceof DeliveryError)) throw error;
      log.warn({ lead_id: lead.id, channel: port.channel, err: error.message }, "chat reply not delivered");
      if (message && !(error instanceof UnknownDeliveryError)) {
        await db.run((q) => updateMessageStatus(q, message.id, { status: "failed", status_at: clock.now(), error_code: error.message.slice(0, 200) }));
      }
      if (error instanceof PermanentDeliveryError && error.chatUnreachable) {
        await db.transaction((tx) => markChannelUnreachable(tx, clock.now(), lead.id, port.channel, error.message));
      }
      return { delivered: false, unknown: error instanceof UnknownDeliveryError, reason: error.message };
    }
  }

  async function send(port: ChannelPort, lead: Lead, message: Message | null, text: string): Promise<void> {
    await deliver(port, lead, message, () => port.sendText(lead, text));
  }

  async function say(port: ChannelPort, lead: Lead, text: string, agentType: string): Promise<void> {
    await send(port, lead, await conversation.storeReply(lead, text, agentType, port.channel), text);
  }

  async function offerSlots(port: ChannelPort, lead: Lead): Promise<void> {
    let slots: Awaited<ReturnType<BookingService["slotsToOffer"]>>;
    try {
      slots = await booking.slotsToOffer();
    } catch (error) {
      log.error({ err: error, lead_id: lead.id }, "calendar unavailable while offering slots");
      return say(port, lead, CALENDAR_DOWN, "agenda");
    }
    if (slots.length === 0) return say(port, lead, "Ahora no encuentro horarios libres; un asesor te escribirá para acordar uno.", "agenda");
    const choices: Choice[] = slots.map((slot) => ({ id: slotChoiceId(slot.start), label: formatAppointmentDate(slot.start, lead.timezone ?? deps.timeZone) }));
    await db.run((q) => savePendingChoices(q, lead.id, choices));
    const text = "Estos son los horarios disponibles para tu cita con un asesor (hora del centro de México):";
    const message = await conversation.storeReply(lead, `${text}\n${choices.map((c, i) => `${i + 1}. ${c.label}`).join("\n")}`, "agenda", port.channel);
    await deliver(port, lead, message, () => port.sendChoices(lead, text, choices));
  }

  /**
   * Books a picked slot. A refusal is returned; with `explain` the lead also
   * gets it as a message (a typed pick, WhatsApp), without it the surface shows
   * it (Telegram's answer on the button).
   */
  async function book(port: ChannelPort, lead: Lead, start: Date, explain: boolean): Promise<{ ok: boolean; problem?: string }> {
    const result = await tryBooking(port, lead, start);
    if (result.problem && explain) await say(port, lead, result.problem, "agenda");
    return result;
  }

  async function tryBooking(port: ChannelPort, lead: Lead, start: Date): Promise<{ ok: boolean; problem?: string }> {
    try {
      const booked = await booking.book(lead.id, start, LEAD_ACTOR);
      await db.run((q) => clearPendingChoices(q, lead.id));
      await say(port, booked.lead, booked.reply, "agenda");
      const when = formatAppointmentDate(booked.appointment.starts_at, deps.timeZone);
      await admins.notify(`📅 Cita agendada el ${when}: ${leadLine(booked.lead)}${booked.appointment.meet_link ? `\n${booked.appointment.meet_link}` : ""}`);
      return { ok: true };
    } catch (error) {
      if (error instanceof DomainError) {
        // The slot was taken or is gone: fresh options, for a lead who may book (not while another of its bookings is being confirmed).
        if (lead.financially_approved && !(error instanceof BookingInProgressError)) await offerSlots(port, lead);
        return { ok: false, problem: error.message };
      }
      // The calendar failed: nothing was booked; the lead can pick again later.
      log.error({ err: error, lead_id: lead.id }, "calendar unavailable while booking");
      return { ok: false, problem: "No pude agendar en este momento; inténtalo de nuevo en unos minutos." };
    }
  }

  async function optOut(port: ChannelPort, identity: ChatIdentity, text: string): Promise<void> {
    const result = await conversation.optOut(identity, text);
    await send(port, result.lead, result.message, result.reply);
  }

  async function optIn(port: ChannelPort, identity: ChatIdentity, text?: string): Promise<void> {
    const result = await conversation.optIn(identity, text);
    await send(port, result.lead, result.message, result.reply);
  }

  async function handoff(port: ChannelPort, identity: ChatIdentity, text: string): Promise<void> {
    const result = await conversation.requestHandoff(identity, text);
    await send(port, result.lead, result.message, result.reply);
    if (!result.already) await admins.notify(leadSummaryForAdmins(result.lead));
  }

  /** A lead on a call asks for a person: the same handoff as in chat, admins told once. */
  async function handOffFromCall(leadId: number): Promise<{ already: boolean }> {
    const { lead, already } = await conversation.handOffLead(leadId, VOICE_ACTOR);
    if (!already) await admins.notify(`📞 ${leadSummaryForAdmins(lead)}`);
    return { already };
  }

  async function turn(
    port: ChannelPort,
    identity: ChatIdentity,
    text: string,
    externalId: string | null,
    origin: LeadOrigin,
    known: LeadFacts = {},
    lead?: Lead,
  ): Promise<void> {
    const result = await conversation.handleMessage({
      identity,
      text,
      externalId,
      origin,
      known,
      lead,
      // Only a model takes long enough for "escribiendo…" to help; the offline agent answers at once.
      ...(conversation.agentKind === "openai" && { received: (lead: Lead) => port.typing(lead).catch(() => undefined) }),
    });
    if (result.reply) await send(port, result.lead, result.message, result.reply);
    if (result.handed_off) await admins.notify(leadSummaryForAdmins(result.lead));
    // After a handoff or an opt-out the lead gets nothing more from the bot; admins still hear what changed.
    const goesOn = !result.opted_out && result.lead.handoff_at === null;
    if (result.moved_to.includes("calificacion_financiera")) {
      await admins.notify(`✅ Perfil completo, pasa a calificación financiera: ${leadLine(result.lead)}`);
      if (goesOn && !result.lead.phone && port.requestPhone) {
        const ask = "Para que un asesor pueda llamarte, ¿me compartes tu teléfono? Toca el botón de abajo.";
        const message = await conversation.storeReply(result.lead, ask, "financiero", port.channel);
        const requestPhone = port.requestPhone.bind(port);
        await deliver(port, result.lead, message, () => requestPhone(result.lead, ask));
      }
    }
    if (result.approved_now) await admins.notify(`💰 Aprobado financieramente (${result.lead.credit_type ?? "—"}): ${leadLine(result.lead)}`);
    if (!goesOn) return;
    if (result.book_at) {
      await book(port, result.lead, result.book_at, true);
    } else if (result.offer_booking) {
      await offerSlots(port, result.lead);
    }
  }

  return {
    /** A person at the dashboard: takeOver, sendFromPerson, handBack. */
    ...createPersonChat({ db, clock, conversation, ports: deps.ports, deliver }),
    /** /start [payload] on Telegram; a first message elsewhere goes through `receiveText`. */
    async start(port: ChannelPort, identity: ChatIdentity, payload: string | null): Promise<void> {
      const result = await conversation.startChat(identity, payload);
      await send(port, result.lead, result.message, result.reply);
    },
    optOut,
    handOffFromCall,
    /** A lead on a call asks for no more messages or calls. */
    async optOutFromCall(leadId: number): Promise<void> {
      await conversation.optOutLead(leadId, VOICE_ACTOR);
    },
    optIn,
    handoff,

    /** Free text: opt-out, opt-in, a person, a pick among the options offered, or a turn with the agents (who offer slots when it is time). */
    async receiveText(port: ChannelPort, identity: ChatIdentity, text: string, externalId: string | null, origin: LeadOrigin = {}): Promise<void> {
      const intent = readIntent(text);
      if (intent !== null) {
        // A redelivery found here is skipped at once; one racing the first delivery on another instance is skipped when it is stored.
        // (A pick and a turn need no look-up first: they store the message once, and a redelivery stops there.)
        if (externalId && (await conversation.hasReceived(port.channel, externalId))) return;
        if (intent === "opt_out") return optOut(port, identity, text);
        if (intent === "opt_in") return optIn(port, identity, text);
        return handoff(port, identity, text);
      }
      const { lead } = await conversation.findOrCreateLead(identity, origin);
      if (!lead.handoff_at && lead.pending_choices?.length) {
        const picked = pickChoice(text, lead.pending_choices);
        const start = picked && slotFromChoiceId(picked.id);
        if (start) {
          if (!(await conversation.recordText(identity, lead, text, externalId))) return;
          await book(port, lead, start, true);
          return;
        }
      }
      return turn(port, identity, text, externalId, origin, {}, lead);
    },

    /**
     * A button or list item: a slot. Returns what went wrong for channels that
     * show it on the button (Telegram's callback answer); with `explain`, the
     * lead gets it as a message instead (WhatsApp).
     */
    async pick(
      port: ChannelPort,
      identity: ChatIdentity,
      choiceId: string,
      options: { explain?: boolean; text?: string; externalId?: string | null } = {},
    ): Promise<{ ok: boolean; problem?: string }> {
      const { lead } = await conversation.findOrCreateLead(identity);
      // A pick delivered twice books once: the second delivery stops here.
      if (options.text !== undefined && !(await conversation.recordText(identity, lead, options.text, options.externalId ?? null))) return { ok: true };
      const start = slotFromChoiceId(choiceId);
      if (start) return book(port, lead, start, options.explain ?? false);
      const problem = "Ese botón ya no es válido; pídeme «horarios» y te comparto opciones.";
      if (options.explain) await say(port, lead, problem, "agenda");
      return { ok: false, problem };
    },

    /** A shared location: its name fills the lead's zone, and the agents go on from there. */
    async receiveLocation(port: ChannelPort, identity: ChatIdentity, place: { label?: string | undefined; address?: string | undefined }, externalId: string | null): Promise<void> {
      const zone = (place.label || place.address || "").trim().slice(0, 200);
      if (!zone) return this.receiveUnsupported(port, identity, externalId);
      return turn(port, identity, `📍 ${zone}`, externalId, {}, { location: zone });
    },

    /** A voice note, image, sticker or document: a plain answer instead of silence. */
    async receiveUnsupported(port: ChannelPort, identity: ChatIdentity, externalId: string | null): Promise<void> {
      const { lead } = await conversation.findOrCreateLead(identity);
      if (!(await conversation.recordText(identity, lead, "[adjunto]", externalId)) || lead.handoff_at) return;
      await say(port, lead, TEXT_ONLY, "perfilador");
    },
  };
}

export type LeadChatService = ReturnType<typeof createLeadChatService>;
