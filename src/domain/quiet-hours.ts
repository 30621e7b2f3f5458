/**
 * Quiet hours: a daily window ("21:00-09:00") in the lead's local time during
 * which nobody is messaged or called. Pure: it takes the time and the zone.
 */
import { dateTimeFormat } from "./intl-formats";
export interface QuietWindow {
  /** Minutes after local midnight. A window that crosses midnight has start > end. */
  start: number;
  end: number;
}

/** Parses "HH:MM-HH:MM"; an empty string means no quiet hours (null). */
export function parseQuietHours(value: string): QuietWindow | null {
  if (value.trim() === "") return null;
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(value.trim());
  if (!match) throw new Error(`Invalid quiet hours "${value}"`);
  const [, sh, sm, eh, em] = match.map(Number) as [number, number, number, number, number];
  return { start: sh * 60 + sm, end: eh * 60 + em };
}

function localMinutes(at: Date, timeZone: string): number {
  const parts = dateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === "hour")?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === "minute")?.value ?? 0);
  return hour * 60 + minute;
}

export function isQuietTime(at: Date, timeZone: string, window: QuietWindow | null): boolean {
  if (!window || window.start === window.end) return false;
  const minutes = localMinutes(at, timeZone);
  return window.start < window.end
    ? minutes >= window.start && minutes < window.end
    : minutes >= window.start || minutes < window.end;
}

/** When the quiet window that contains `at` ends (or `at` itself when it is not quiet). */
export function quietWindowEnd(at: Date, timeZone: string, window: QuietWindow | null): Date {
  if (!isQuietTime(at, timeZone, window) || !window) return at;
  const minutes = localMinutes(at, timeZone);
  const wait = (window.end - minutes + 1440) % 1440;
  const startOfMinute = Math.floor(at.getTime() / 60_000) * 60_000;
  return new Date(startOfMinute + wait * 60_000);
}
