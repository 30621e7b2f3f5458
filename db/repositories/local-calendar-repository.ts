/**
 * The local calendar's busy times (src/calendar/local-calendar.ts): our own
 * scheduled appointments. Written once for SQLite and PostgreSQL
 * (db/database.ts: awaited builders).
 */
import { and, eq, gt, lt } from "drizzle-orm";
import type { Executor } from "../executor";

/** Scheduled appointments that overlap [from, to), as busy intervals. */
export async function selectScheduledBusyTimes(q: Executor, from: Date, to: Date): Promise<{ start: Date; end: Date }[]> {
  const { appointments } = q.t;
  return q.db
    .select({ start: appointments.starts_at, end: appointments.ends_at })
    .from(appointments)
    .where(and(eq(appointments.status, "scheduled"), lt(appointments.starts_at, to), gt(appointments.ends_at, from)));
}
