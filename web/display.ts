/** How the dashboard writes dates and durations: Spanish (México), in the agency's time zone. */
import { dateTimeFormat } from "../src/domain/intl-formats";

/** "15 ene 2026, 10:00" in `timeZone`. */
export function formatDateTime(at: Date, timeZone: string): string {
  return dateTimeFormat("es-MX", { timeZone, day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(at);
}

/** "2 min 05 s", "45 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

/** "15 ene" for a local date (YYYY-MM-DD): a calendar date, written in UTC so no zone moves it. */
export function shortDay(day: string): string {
  return dateTimeFormat("es-MX", { timeZone: "UTC", day: "numeric", month: "short" }).format(new Date(`${day}T12:00:00Z`));
}

/** "jueves, 15 de enero de 2026" for a local date (YYYY-MM-DD), as shortDay. */
export function longDay(day: string): string {
  return dateTimeFormat("es-MX", { timeZone: "UTC", weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(new Date(`${day}T12:00:00Z`));
}

/**
 * A value for `<script type="application/json">` (a chart's data): `<` is written as \u003c, so no text
 * in the data (a lead's name in a label, one day) can close the script element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
