import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import { appointments, type Appointment } from "../schema";
import type { Executor } from "../executor";

export function insertAppointment(db: Executor, values: typeof appointments.$inferInsert): Appointment {
  return db.insert(appointments).values(values).returning().get();
}

export type ReminderKind = "24h" | "1h";
const REMINDER_COLUMN = { "24h": appointments.reminder_24h_at, "1h": appointments.reminder_1h_at } as const;
const REMINDER_LEAD_MS = { "24h": 24 * 3_600_000, "1h": 3_600_000 } as const;

/** Scheduled appointments whose reminder is due and not yet claimed. */
export function selectDueReminders(db: Executor, kind: ReminderKind, now: Date): Appointment[] {
  const column = REMINDER_COLUMN[kind];
  return db
    .select()
    .from(appointments)
    .where(
      and(
        eq(appointments.status, "scheduled"),
        isNull(column),
        sql`${appointments.starts_at} - ${REMINDER_LEAD_MS[kind]} <= ${now.getTime()}`,
        sql`${appointments.starts_at} > ${now.getTime()}`,
      ),
    )
    .orderBy(asc(appointments.starts_at))
    .all();
}

/** Claims a reminder; false when another pass or process already did. */
export function claimReminder(db: Executor, id: number, kind: ReminderKind, now: Date): boolean {
  const column = REMINDER_COLUMN[kind];
  return db.update(appointments).set({ [column.name]: now, updated_at: now }).where(and(eq(appointments.id, id), isNull(column))).run().changes === 1;
}

/** Scheduled appointments that have ended. */
export function selectEndedAppointments(db: Executor, now: Date): Appointment[] {
  return db.select().from(appointments).where(and(eq(appointments.status, "scheduled"), lte(appointments.ends_at, now))).all();
}

export function markAppointmentCompleted(db: Executor, id: number, now: Date): void {
  db.update(appointments).set({ status: "completed", updated_at: now }).where(eq(appointments.id, id)).run();
}
