/**
 * Booking a meeting: free slots from the calendar; the slot claimed as an
 * appointment, then the event (with a Google Meet link when Google Calendar is
 * configured) that confirms it, and the move to agendado, in that order; plus
 * the reminders and the move to seguimiento once the meeting is over.
 */
import {
  claimReminder,
  confirmAppointment,
  insertAppointment,
  markAppointmentCompleted,
  releaseAbandonedClaims,
  releaseAppointmentClaim,
  selectDueReminders,
  selectEndedAppointments,
  type ReminderKind,
} from "../../db/repositories/appointments-repository";
import { selectScheduledBusyTimes } from "../../db/repositories/local-calendar-repository";
import { lockUntilCommit } from "../../db/repositories/locks-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import { findCurrentAppointment, findLead } from "../../db/repositories/leads-repository";
import { insertMessage } from "../../db/repositories/messages-repository";
import type { Executor } from "../../db/executor";
import type { Appointment, Lead } from "../../db/schema";
import type { CalendarPort, CreatedEvent } from "../calendar/calendar-port";
import { UnknownDeliveryError, type TextSender } from "../channels/telegram-sender";
import { DEFAULT_BUSINESS_HOURS, findFreeSlots, type Interval } from "../domain/slots";
import { formatAppointmentDate } from "../domain/templates";
import { BookingInProgressError, ConflictError, NotFoundError } from "../errors";
import type { Logger } from "../logger";
import type { ServiceDeps } from "./context";
import type { PipelineService } from "./pipeline-service";
import type { WhatsAppOutbound } from "../channels/whatsapp-outbound";
import { createReminderDelivery } from "./reminder-delivery";
import { writeProviderId } from "./message-status-service";

export const APPOINTMENT_MINUTES = 60;

/**
 * The calendar event's id for a claim: Google's alphabet (a-v, 0-9), and the claim's id and
 * moment, so that neither a second booking nor another Prospecta writing to the same calendar
 * (a staging copy) takes it.
 */
export function calendarEventIdOf(claim: Appointment): string {
  return `prospecta${claim.id}t${claim.created_at.getTime()}`;
}
const SLOT_GONE = "Ese horario ya no está disponible; elige otro, por favor";
/** Longer than any booking's calendar calls take: a claim this old was left by a process that died. */
const ABANDONED_CLAIM_MS = 10 * 60_000;
const SLOT_HORIZON_DAYS = 14;
const MIN_LEAD_MINUTES = 120;

export interface BookingDeps extends ServiceDeps {
  calendar: CalendarPort;
  pipeline: PipelineService;
  /** For reminders; null when Telegram is not configured. */
  telegram: TextSender | null;
  /** Null when WHATSAPP_PROVIDER is not set. */
  whatsapp: WhatsAppOutbound | null;
  /** The approved WhatsApp template for reminders outside the 24-hour window (WHATSAPP_REMINDER_CONTENT_SID). */
  whatsappReminderContentSid: string | null;
  log: Logger;
}

export interface Booked {
  appointment: Appointment;
  lead: Lead;
  reply: string;
}

export function createBookingService(deps: BookingDeps) {
  const { db, clock, calendar, pipeline, log } = deps;
  const reminders = createReminderDelivery(deps);

  async function requireLead(q: Executor, id: number): Promise<Lead> {
    const lead = await findLead(q, id);
    if (!lead) throw new NotFoundError("un lead", id);
    return lead;
  }

  async function freeSlots(count: number): Promise<Interval[]> {
    const now = clock.now();
    const busy = await calendar.busy(now, new Date(now.getTime() + (SLOT_HORIZON_DAYS + 1) * 86_400_000));
    return findFreeSlots({
      now,
      timeZone: deps.timeZone,
      busy,
      count,
      durationMinutes: APPOINTMENT_MINUTES,
      minLeadMinutes: MIN_LEAD_MINUTES,
      hours: DEFAULT_BUSINESS_HOURS,
      horizonDays: SLOT_HORIZON_DAYS,
    });
  }

  function confirmation(lead: Lead, appointment: Appointment): string {
    const when = formatAppointmentDate(appointment.starts_at, lead.timezone ?? deps.timeZone);
    return appointment.meet_link
      ? `¡Listo! Tu cita con un asesor quedó para el ${when}. Enlace de Google Meet: ${appointment.meet_link}`
      : `¡Listo! Tu cita con un asesor quedó para el ${when}. Esta cita no tiene enlace de Google Meet (el calendario de Google no está configurado); un asesor te confirmará cómo conectarte.`;
  }

  return {
    calendarKind: calendar.kind,

    /** Three free slots for an approved lead, who must exist. */
    async offerSlots(leadId: number): Promise<Interval[]> {
      await db.run((q) => requireLead(q, leadId));
      return freeSlots(3);
    },

    /** Three free slots, for a caller that has just read the lead (a chat turn): the calendar's, the same for any lead. */
    slotsToOffer(): Promise<Interval[]> {
      return freeSlots(3);
    },

    /**
     * Books `start` for the lead. The slot is claimed first (claimSlot): checked free among our
     * appointments and written as an appointment without its calendar event, in one transaction
     * under the booking lock. Only then is the calendar asked, for its own busy times and the event;
     * so of two leads picking the same slot at once, or one lead pressing two, only the first
     * reaches the calendar, and the second finds its claim. The event makes the claim good; a
     * calendar that refuses or fails releases it.
     */
    async book(leadId: number, start: Date, actor: string): Promise<Booked> {
      const end = new Date(start.getTime() + APPOINTMENT_MINUTES * 60_000);
      const claim = await claimSlot(leadId, start, end);
      // Before Google's busy times are read: an abandoned claim's event may hold this very slot.
      await removeEventsOfReleasedClaims(claim.abandoned);
      if (claim.kind === "existing") return { appointment: claim.appointment, lead: claim.lead, reply: confirmation(claim.lead, claim.appointment) };
      const { lead, claimed } = claim;
      let event: CreatedEvent;
      try {
        // The local calendar's busy times are our appointments, checked with the claim; Google's also hold the agency's other meetings.
        if (calendar.kind !== "local" && !(await freeOnCalendar(start, end))) throw new ConflictError(SLOT_GONE);
        event = await calendar.createEvent({
          start,
          end,
          summary: `Cita con ${lead.name ?? `lead #${lead.id}`}`,
          description: `Lead #${lead.id} de Prospecta. Busca: ${[lead.property_type, lead.location].filter(Boolean).join(" en ") || "por definir"}.`,
          requestId: `prospecta-${lead.id}-${start.getTime()}`,
          eventId: calendarEventIdOf(claimed),
        });
      } catch (error) {
        await db.run((q) => releaseAppointmentClaim(q, claimed.id));
        throw error;
      }
      const appointment = await db.transaction(async (tx) => {
        const now = clock.now();
        const row = await confirmAppointment(tx, claimed.id, { calendar_event_id: event.eventId, meet_link: event.meetLink }, now);
        if (!row) return null;
        await insertAudit(tx, { actor, action: "appointment.create", entity: "appointment", entity_id: row.id, after: { lead_id: lead.id, starts_at: start.toISOString(), meet_link: event.meetLink } }, now);
        return row;
      });
      if (!appointment) {
        // The calendar took longer than a claim is held, and another booking released the claim as
        // abandoned: the slot may be someone else's by now, and the event is nobody's.
        log.warn({ appointment_id: claimed.id, lead_id: lead.id }, "a booking's claim was released before its calendar event was made");
        await removeEventsOfReleasedClaims([claimed]);
        throw new ConflictError(SLOT_GONE);
      }
      const advanced = await pipeline.autoAdvance(lead.id, actor);
      if (!advanced.moved) log.warn({ lead_id: lead.id, missing: advanced.missing.map((m) => m.code) }, "booked lead did not move to agendado");
      return { appointment, lead: advanced.lead, reply: confirmation(advanced.lead, appointment) };
    },

    /**
     * Sends due 24 h / 1 h reminders at most once each (claimed before sending,
     * so never resent; the Telegram client retries only what certainly did not
     * arrive), and moves leads whose meeting ended to seguimiento.
     */
    async runDueReminders(): Promise<{ reminders: number; followed_up: number }> {
      let sentCount = 0;
      for (const kind of ["24h", "1h"] as ReminderKind[]) {
        for (const appointment of await db.run((q) => selectDueReminders(q, kind, clock.now()))) {
          // Undefined when the reminder was already claimed (never sent twice).
          const lead = await db.run(async (q) => ((await claimReminder(q, appointment.id, kind, clock.now())) ? findLead(q, appointment.lead_id) : undefined));
          if (!lead || lead.opted_out) continue;
          const when = formatAppointmentDate(appointment.starts_at, lead.timezone ?? deps.timeZone);
          const firstName = lead.name ? lead.name.split(/\s+/)[0]! : "";
          const text =
            kind === "24h"
              ? `Hola${firstName ? ` ${firstName}` : ""}, te recuerdo tu cita de mañana, ${when}.${appointment.meet_link ? ` Enlace: ${appointment.meet_link}` : ""}`
              : `Tu cita empieza en una hora (${when}).${appointment.meet_link ? ` Entra aquí: ${appointment.meet_link}` : ""}`;
          try {
            const delivery = await reminders.send(lead, { text, firstName, when, link: appointment.meet_link ?? "" }, clock.now());
            if (!delivery.sent) {
              await db.run((q) => insertAudit(q, { actor: "system:reminders", action: "appointment.reminder_skipped", entity: "appointment", entity_id: appointment.id, after: { kind, reason: delivery.reason } }, clock.now()));
              continue;
            }
            const at = clock.now();
            await writeProviderId(db, at, delivery.channel, delivery.externalId, (q) =>
              insertMessage(q, { lead_id: lead.id, direction: "outbound", channel: delivery.channel, agent_type: "agenda", text, external_id: delivery.externalId, at }),
            );
            sentCount++;
          } catch (error) {
            if (error instanceof UnknownDeliveryError) await flagReminderForReview(appointment, kind, error);
            else log.warn({ err: error, appointment_id: appointment.id, kind }, "appointment reminder failed");
          }
        }
      }
      let followedUp = 0;
      for (const appointment of await db.run((q) => selectEndedAppointments(q, clock.now()))) {
        const lead = await db.run(async (q) => {
          await markAppointmentCompleted(q, appointment.id, clock.now());
          return findLead(q, appointment.lead_id);
        });
        if (lead?.pipeline_stage === "agendado" && (await pipeline.autoAdvance(lead.id, "system:appointments")).moved) followedUp++;
      }
      return { reminders: sentCount, followed_up: followedUp };
    },
  };

  /** The reminder may or may not have arrived: left claimed (never resent) and written down for a person to check. */
  async function flagReminderForReview(appointment: Appointment, kind: ReminderKind, error: UnknownDeliveryError): Promise<void> {
    const reason = `${error.message}: puede que el recordatorio haya llegado o no; no se reenvía para no duplicar; revisar si llegó`;
    await db.run((q) =>
      insertAudit(
        q,
        { actor: "system:reminders", action: "appointment.reminder_needs_review", entity: "appointment", entity_id: appointment.id, after: { kind, reason } },
        clock.now(),
      ),
    );
    log.warn({ appointment_id: appointment.id, lead_id: appointment.lead_id, kind, err: error.message }, "appointment reminder delivery unknown: flagged for review");
  }

  async function freeOnCalendar(start: Date, end: Date): Promise<boolean> {
    const busy = await calendar.busy(start, end);
    return busy.every((b) => !(b.start < end && start < b.end));
  }

  /**
   * The slot claimed for the lead, or the upcoming appointment it already has. One claim is decided
   * at a time, across instances (an advisory lock on PostgreSQL; SQLite's transactions already run
   * one at a time), so each sees every claim before it. A claim that never got its event (its
   * process died mid-booking) is released once it is older than any booking takes, and answered
   * in `abandoned` (once this transaction commits, removeEventsOfReleasedClaims takes their events away).
   */
  function claimSlot(
    leadId: number,
    start: Date,
    end: Date,
  ): Promise<{ abandoned: Appointment[] } & ({ kind: "existing"; lead: Lead; appointment: Appointment } | { kind: "claimed"; lead: Lead; claimed: Appointment })> {
    return db.transaction(async (tx) => {
      await lockUntilCommit(tx, "appointments:booking");
      const now = clock.now();
      const abandonedClaims = await releaseAbandonedClaims(tx, new Date(now.getTime() - ABANDONED_CLAIM_MS));
      for (const abandoned of abandonedClaims) {
        // Its process may have died after the calendar made the event: written down, with the event's id, for someone to look.
        await insertAudit(tx, {
          actor: "system:booking",
          action: "appointment.claim_abandoned",
          entity: "appointment",
          entity_id: abandoned.id,
          after: { lead_id: abandoned.lead_id, starts_at: abandoned.starts_at.toISOString(), calendar: abandoned.calendar_provider, event_id_if_made: calendarEventIdOf(abandoned) },
        }, now);
        log.warn({ appointment_id: abandoned.id, lead_id: abandoned.lead_id }, "a booking's claim was abandoned mid-booking and released: its calendar event, if made, is removed next");
      }
      const lead = await requireLead(tx, leadId);
      const existing = await findCurrentAppointment(tx, leadId, now);
      if (existing?.status === "scheduled" && existing.ends_at > now) {
        if (existing.calendar_event_id === null) throw new BookingInProgressError();
        return { kind: "existing", lead, appointment: existing, abandoned: abandonedClaims };
      }
      if (!lead.financially_approved) throw new ConflictError("Para agendar primero necesitamos completar tu calificación financiera");
      if (start.getTime() <= now.getTime() || (await selectScheduledBusyTimes(tx, start, end)).length > 0) throw new ConflictError(SLOT_GONE);
      const claimed = await insertAppointment(tx, {
        lead_id: lead.id,
        starts_at: start,
        ends_at: end,
        status: "scheduled",
        meet_link: null,
        calendar_event_id: null,
        calendar_provider: calendar.kind,
        created_at: now,
        updated_at: now,
      });
      return { kind: "claimed", lead, claimed, abandoned: abandonedClaims };
    });
  }

  /**
   * Takes away the calendar events that released claims' bookings may have made: a process that
   * died, or one whose calendar took longer than a claim is held, after the event was made and
   * before its claim was confirmed. The lead never heard of that meeting, and on Google it keeps
   * the slot busy. One that cannot be removed now stays written down (appointment.claim_abandoned,
   * with its event's id) for someone to look at.
   */
  async function removeEventsOfReleasedClaims(released: readonly Appointment[]): Promise<void> {
    // Each claim's event is under the id the booking gave it (calendarEventIdOf), on the calendar it was made on.
    for (const claim of released.filter((claim) => claim.calendar_provider === calendar.kind)) {
      const eventId = calendarEventIdOf(claim);
      try {
        if ((await calendar.removeEvent(eventId)) === "absent") continue;
        const audit = { actor: "system:booking", action: "appointment.abandoned_event_removed", entity: "appointment", entity_id: claim.id, after: { lead_id: claim.lead_id, event_id: eventId } };
        await db.run((q) => insertAudit(q, audit, clock.now()));
      } catch (error) {
        // The message only: a client error carries its request, and with it the calendar's credentials.
        log.warn({ appointment_id: claim.id, error: error instanceof Error ? error.message : String(error) }, "the calendar event of a released booking claim could not be removed; it needs review");
      }
    }
  }
}

export type BookingService = ReturnType<typeof createBookingService>;
