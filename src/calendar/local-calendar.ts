/** The calendar when no Google credentials are set: our own appointments are the busy times; no Meet link. */
import { randomUUID } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import type { Db } from "../../db/client";
import { appointments } from "../../db/schema";
import type { CalendarPort } from "./calendar-port";

export function createLocalCalendar(db: Db): CalendarPort {
  return {
    kind: "local",
    async busy(from, to) {
      return db
        .select({ start: appointments.starts_at, end: appointments.ends_at })
        .from(appointments)
        .where(and(eq(appointments.status, "scheduled"), lt(appointments.starts_at, to), gt(appointments.ends_at, from)))
        .all();
    },
    async createEvent() {
      return { eventId: `local-${randomUUID()}`, meetLink: null };
    },
  };
}
