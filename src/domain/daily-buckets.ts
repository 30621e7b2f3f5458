/**
 * Counting events per local calendar day, for the dashboard's charts over time (a campaign's steps
 * per day). Pure: the caller reads the times and gives the clock's now and the agency's time zone.
 */
import { dateTimeFormat } from "./intl-formats";

export interface DayRange {
  /** The last day of the range is the local day of `now`. */
  now: Date;
  /** How many days, today included. */
  days: number;
  timeZone: string;
}

export interface DayCount {
  /** The local date, "YYYY-MM-DD". */
  day: string;
  count: number;
}

const DAY_MS = 86_400_000;

/** The local date of `at` in `timeZone`, as "YYYY-MM-DD". */
export function localDayOf(at: Date, timeZone: string): string {
  const parts = dateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** The range's local dates, oldest first, ending with today's. */
export function localDaysOf({ now, days, timeZone }: DayRange): string[] {
  // Arithmetic on the date alone (as UTC midnight), so a DST change never skips or repeats a day.
  const [year, month, day] = localDayOf(now, timeZone).split("-").map(Number) as [number, number, number];
  const today = Date.UTC(year, month - 1, day);
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

/**
 * How many of `times` fall on each local day of the range, every day present (0 when none),
 * oldest first. Times outside the range are left out.
 */
export function bucketByLocalDay(times: readonly Date[], range: DayRange): DayCount[] {
  const counts = new Map(localDaysOf(range).map((day) => [day, 0]));
  for (const at of times) {
    const day = localDayOf(at, range.timeZone);
    const count = counts.get(day);
    if (count !== undefined) counts.set(day, count + 1);
  }
  return [...counts].map(([day, count]) => ({ day, count }));
}

/** An instant at or before the start of the range's first local day, whatever the zone: where a query may start reading. */
export function rangeReadFrom({ now, days }: DayRange): Date {
  // A local day starts at most 24 h (25 h on a DST day) before now; one day more covers every zone.
  return new Date(now.getTime() - (days + 1) * DAY_MS);
}
