/**
 * One table of sign-in throttle cases, run through the pure rule
 * (test/unit/sign-in-throttle.test.ts) and through the SQL upsert on both
 * databases (test/integration/accounts.test.ts), so the two cannot drift.
 * Times are minutes after START.
 */
import { MAX_FAILURES_PER_EMAIL_AND_IP, MAX_FAILURES_PER_IP } from "../../src/domain/sign-in-throttle";

export const START = new Date("2026-01-15T16:00:00Z");
export const minutes = (offset: number) => new Date(START.getTime() + offset * 60_000);

export interface ThrottleCase {
  name: string;
  limit: number;
  /** When each failure happens, in order. */
  failures: number[];
  /** The key after the last failure (minutes, or null for no lock). */
  after: { failures: number; window_started_at: number; locked_until: number | null };
  /** Whether an attempt at each of these times is refused. */
  lockedAt: Record<number, boolean>;
}

const range = (count: number, step: number) => Array.from({ length: count }, (_, i) => i * step);

export const THROTTLE_CASES: ThrottleCase[] = [
  {
    name: "four wrong passwords for one e-mail leave it open",
    limit: MAX_FAILURES_PER_EMAIL_AND_IP,
    failures: [0, 1, 2, 3],
    after: { failures: 4, window_started_at: 0, locked_until: null },
    lockedAt: { 3: false, 14: false },
  },
  {
    name: "the fifth locks it until the window that began with the first ends",
    limit: MAX_FAILURES_PER_EMAIL_AND_IP,
    failures: [0, 1, 2, 3, 4],
    after: { failures: 5, window_started_at: 0, locked_until: 15 },
    lockedAt: { 4: true, 14.99: true, 15: false, 30: false },
  },
  {
    name: "failures spread wider than the window start counting again",
    limit: MAX_FAILURES_PER_EMAIL_AND_IP,
    failures: [0, 4, 8, 12, 15, 16],
    after: { failures: 2, window_started_at: 15, locked_until: null },
    lockedAt: { 16: false },
  },
  {
    name: "after a lock has run out, the next failure opens a new window",
    limit: MAX_FAILURES_PER_EMAIL_AND_IP,
    failures: [0, 1, 2, 3, 4, 20],
    after: { failures: 1, window_started_at: 20, locked_until: null },
    lockedAt: { 20: false },
  },
  {
    name: "a failure made while locked (two instances racing past the check) keeps the same lock",
    limit: MAX_FAILURES_PER_EMAIL_AND_IP,
    failures: [0, 1, 2, 3, 4, 5],
    after: { failures: 6, window_started_at: 0, locked_until: 15 },
    lockedAt: { 5: true, 15: false },
  },
  {
    name: "an address is locked after twenty failures, whatever the e-mails",
    limit: MAX_FAILURES_PER_IP,
    failures: range(20, 0.5),
    after: { failures: 20, window_started_at: 0, locked_until: 15 },
    lockedAt: { 9.5: true, 15: false },
  },
  {
    name: "nineteen from an address leave it open",
    limit: MAX_FAILURES_PER_IP,
    failures: range(19, 0.5),
    after: { failures: 19, window_started_at: 0, locked_until: null },
    lockedAt: { 9: false },
  },
  {
    name: "a clock that goes back counts within the window it is in",
    limit: 2,
    failures: [10, 5],
    after: { failures: 2, window_started_at: 10, locked_until: 25 },
    lockedAt: { 5: true, 24: true, 25: false },
  },
];
