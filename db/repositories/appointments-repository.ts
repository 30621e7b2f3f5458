import { and, asc, eq, gt, isNull, lte } from "drizzle-orm";
import type { Appointment } from "../schema";
import type { Executor } from "../executor";

export async function insertAppointment(q: Executor, values: typeof import("../schema").appointments.$inferInsert): Promise<Appointment> {
  const [row] = await q.db.insert(q.t.appointments).values(values).returning();
  return row!;
}

export type ReminderKind = "24h" | "1h";
const REMINDER_COLUMN = { "24h": "reminder_24h_at", "1h": "reminder_1h_at" } as const;
const REMINDER_LEAD_MS = { "24h": 24 * 3_600_000, "1h": 3_600_000 } as const;

/** Scheduled appointments whose reminder is due and not yet claimed. */
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
