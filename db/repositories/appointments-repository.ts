import { and, asc, eq, gt, isNotNull, isNull, lt, lte } from "drizzle-orm";
import type { Appointment } from "../schema";
import type { Executor } from "../executor";

export async function insertAppointment(q: Executor, values: typeof import("../schema").appointments.$inferInsert): Promise<Appointment> {
  const [row] = await q.db.insert(q.t.appointments).values(values).returning();
  return row!;
}

/**
 * A booking's claim made good once the calendar has its event: the appointment now names it (a
 * claim is an appointment without calendar_event_id, see booking-service.ts). Null when the claim
 * is gone (abandoned and released meanwhile).
 */
export async function confirmAppointment(q: Executor, id: number, event: { calendar_event_id: string; meet_link: string | null }, now: Date): Promise<Appointment | null> {
  const { appointments } = q.t;
  const [row] = await q.db
    .update(appointments)
    .set({ ...event, updated_at: now })
    .where(and(eq(appointments.id, id), isNull(appointments.calendar_event_id)))
    .returning();
  return row ?? null;
}

/** A claim the calendar refused (or could not be reached for): the slot is free again. */
export async function releaseAppointmentClaim(q: Executor, id: number): Promise<void> {
  const { appointments } = q.t;
  await q.db.delete(appointments).where(and(eq(appointments.id, id), isNull(appointments.calendar_event_id)));
}

/** Claims made before `before` that never got their event (a process that died mid-booking left them), released; answers them. */
export async function releaseAbandonedClaims(q: Executor, before: Date): Promise<Appointment[]> {
  const { appointments } = q.t;
  return q.db
    .delete(appointments)
    .where(and(eq(appointments.status, "scheduled"), isNull(appointments.calendar_event_id), lt(appointments.created_at, before)))
    .returning();
}

export type ReminderKind = "24h" | "1h";
const REMINDER_COLUMN = { "24h": "reminder_24h_at", "1h": "reminder_1h_at" } as const;
const REMINDER_LEAD_MS = { "24h": 24 * 3_600_000, "1h": 3_600_000 } as const;

/** Scheduled appointments whose reminder is due and not yet claimed (a booking still in progress has none yet). */
export async function selectDueReminders(q: Executor, kind: ReminderKind, now: Date): Promise<Appointment[]> {
  const { appointments } = q.t;
  // Due when the appointment starts within the reminder's lead time from now.
  const dueBy = new Date(now.getTime() + REMINDER_LEAD_MS[kind]);
  return q.db
    .select()
    .from(appointments)
    .where(
      and(
        eq(appointments.status, "scheduled"),
        isNotNull(appointments.calendar_event_id),
        isNull(appointments[REMINDER_COLUMN[kind]]),
        lte(appointments.starts_at, dueBy),
        gt(appointments.starts_at, now),
      ),
    )
    .orderBy(asc(appointments.starts_at));
}

/** Claims a reminder; false when another pass or process already did. */
export async function claimReminder(q: Executor, id: number, kind: ReminderKind, now: Date): Promise<boolean> {
  const { appointments } = q.t;
  const column = REMINDER_COLUMN[kind];
  const claimed = await q.db
    .update(appointments)
    .set({ [column]: now, updated_at: now })
    .where(and(eq(appointments.id, id), isNull(appointments[column])))
    .returning({ id: appointments.id });
  return claimed.length === 1;
}

/** Scheduled appointments that have ended. */
export async function selectEndedAppointments(q: Executor, now: Date): Promise<Appointment[]> {
  const { appointments } = q.t;
  return q.db.select().from(appointments).where(and(eq(appointments.status, "scheduled"), lte(appointments.ends_at, now)));
}

export async function markAppointmentCompleted(q: Executor, id: number, now: Date): Promise<void> {
  const { appointments } = q.t;
  await q.db.update(appointments).set({ status: "completed", updated_at: now }).where(eq(appointments.id, id));
}
