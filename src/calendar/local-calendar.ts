/** The calendar when no Google credentials are set: our own appointments are the busy times; no Meet link. */
import type { Database } from "../../db/database";
import { selectScheduledBusyTimes } from "../../db/repositories/local-calendar-repository";
import type { CalendarPort } from "./calendar-port";

export function createLocalCalendar(db: Database): CalendarPort {
  return {
    kind: "local",
    async busy(from, to) {
      return db.run((q) => selectScheduledBusyTimes(q, from, to));
    },
    async createEvent(request) {
      return { eventId: `local-${request.eventId}`, meetLink: null };
    },
    // Its events are our appointments' rows: nothing lives outside the database to remove.
    async removeEvent() {
      return "absent";
    },
  };
}
