/**
 * Appointment slots, pure: from the busy intervals of a calendar, the free
 * slots inside business hours, in the agency's time zone. One slot per day
 * for the next days, so a lead gets a real choice of dates.
 */
import { dateTimeFormat } from "./intl-formats";
export interface Interval {
  start: Date;
  end: Date;
}

export interface BusinessHours {
  /** Local hours, e.g. 9 and 18: slots start at or after `open` and end by `close`. */
  open: number;
  close: number;
  /** Days open, 0 = Sunday … 6 = Saturday. */
  days: readonly number[];
}

export const DEFAULT_BUSINESS_HOURS: BusinessHours = { open: 9, close: 18, days: [1, 2, 3, 4, 5, 6] };

export interface SlotQuery {
  now: Date;
  timeZone: string;
  busy: readonly Interval[];
  count: number;
  durationMinutes: number;
  /** No slot sooner than this after now. */
  minLeadMinutes: number;
  hours: BusinessHours;
  /** How many days ahead to look. */
  horizonDays: number;
}

/** Offset of `zone` from UTC at `at`, in minutes (e.g. -360 for Mexico City). */
function zoneOffsetMinutes(at: Date, timeZone: string): number {
  const parts = dateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  return Math.round((asUtc - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}

/** The UTC instant of a local wall-clock time in `zone`. */
export function localTime(year: number, month: number, day: number, hour: number, timeZone: string): Date {
  const guess = new Date(Date.UTC(year, month - 1, day, hour));
  return new Date(guess.getTime() - zoneOffsetMinutes(guess, timeZone) * 60_000);
}

function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

export function findFreeSlots(query: SlotQuery): Interval[] {
  const slots: Interval[] = [];
  const earliest = query.now.getTime() + query.minLeadMinutes * 60_000;
  const duration = query.durationMinutes * 60_000;
  for (let dayOffset = 0; dayOffset <= query.horizonDays && slots.length < query.count; dayOffset++) {
    const day = new Date(query.now.getTime() + dayOffset * 86_400_000);
    const local = dateTimeFormat("en-CA", { timeZone: query.timeZone, year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" }).formatToParts(day);
    const get = (type: string) => local.find((p) => p.type === type)?.value ?? "";
    const weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(get("weekday"));
    if (!query.hours.days.includes(weekday)) continue;
    for (let hour = query.hours.open; hour + query.durationMinutes / 60 <= query.hours.close; hour++) {
      const start = localTime(Number(get("year")), Number(get("month")), Number(get("day")), hour, query.timeZone);
      const slot = { start, end: new Date(start.getTime() + duration) };
      if (start.getTime() < earliest || query.busy.some((busy) => overlaps(busy, slot))) continue;
      slots.push(slot);
      break; // one per day
    }
  }
  return slots;
}
