/**
 * Counts per local day: "calls per day for the last 30 days" means days as the agency lives them,
 * in its time zone, not UTC days (at 19:00 in Mexico City it is already tomorrow in UTC).
 */
import { localTime } from "./slots";
import { dateTimeFormat } from "./intl-formats";

export interface DayCount {
  /** The local date, YYYY-MM-DD. */
  day: string;
  count: number;
}

const DAY_MS = 86_400_000;
/** Longer than any zone's jump at midnight: reading from this much earlier never misses the first day's start. */
const SAFETY_MS = 3 * 3_600_000;

/** The local date of `at` in `timeZone`, YYYY-MM-DD. */
export function localDay(at: Date, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return dateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/**
 * The last `days` local days up to today's (oldest first), and an instant early enough to read
 * from: every moment of the first day is after it (what falls before the first day is not counted).
 */
export function lastLocalDays(now: Date, days: number, timeZone: string): { days: string[]; since: Date } {
  const [year, month, day] = localDay(now, timeZone).split("-").map(Number) as [number, number, number];
  // Calendar arithmetic on the date alone (UTC has no daylight saving time to skip a day).
  const today = Date.UTC(year, month - 1, day);
  const list: string[] = [];
  for (let i = days - 1; i >= 0; i--) list.push(new Date(today - i * DAY_MS).toISOString().slice(0, 10));
  const [firstYear, firstMonth, firstDay] = list[0]!.split("-").map(Number) as [number, number, number];
  return { days: list, since: new Date(localTime(firstYear, firstMonth, firstDay, 0, timeZone).getTime() - SAFETY_MS) };
}

/** How many of `times` fall on each of `days` (local dates, as lastLocalDays gives them); others are left out. */
export function bucketByLocalDay(times: readonly Date[], days: readonly string[], timeZone: string): DayCount[] {
  const counts = new Map(days.map((day) => [day, 0]));
  for (const at of times) {
    const day = localDay(at, timeZone);
    const count = counts.get(day);
    if (count !== undefined) counts.set(day, count + 1);
  }
  return days.map((day) => ({ day, count: counts.get(day)! }));
}
