/**
 * How many wrong passwords the dashboard's sign-in takes before it stops
 * listening for a while. Failures are counted per key in a fixed window that
 * starts at a key's first failure: at most 5 for one e-mail from one address
 * (someone guessing one person's password) and 20 from one address whatever
 * the e-mail (someone trying many). A key that reaches its limit is locked
 * until its window ends; a success clears the e-mail's key for that address.
 *
 * db/repositories/sign-in-failures-repository.ts writes the same rule as one
 * SQL upsert (two instances may count at once); test/integration/accounts.test.ts
 * runs one table of cases through both.
 */

export const SIGN_IN_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_EMAIL_AND_IP = 5;
export const MAX_FAILURES_PER_IP = 20;

/** What is kept per key. */
export interface FailureWindow {
  failures: number;
  window_started_at: Date;
  /** Set once the key reached its limit: attempts are refused until then. */
  locked_until: Date | null;
}

export interface ThrottleKey {
  key: string;
  limit: number;
}

/** The keys a sign-in attempt counts against: the e-mail (already normalised) from this address, and the address. */
export function throttleKeys(email: string, ip: string): { emailAndIp: ThrottleKey; ip: ThrottleKey } {
  return {
    emailAndIp: { key: `correo:${email}|ip:${ip}`, limit: MAX_FAILURES_PER_EMAIL_AND_IP },
    ip: { key: `ip:${ip}`, limit: MAX_FAILURES_PER_IP },
  };
}

/** True while the key refuses attempts (checked before any password is verified). */
export function isLocked(record: FailureWindow | undefined, now: Date): boolean {
  return record?.locked_until != null && now.getTime() < record.locked_until.getTime();
}

/** A window that started at or before this time has ended. */
export function windowEndedBefore(now: Date): Date {
  return new Date(now.getTime() - SIGN_IN_WINDOW_MS);
}

/** The key after one more failure at `now`. */
export function recordFailure(previous: FailureWindow | undefined, now: Date, limit: number): FailureWindow {
  if (!previous || previous.window_started_at.getTime() <= windowEndedBefore(now).getTime()) {
    return { failures: 1, window_started_at: now, locked_until: 1 >= limit ? windowEnd(now) : null };
  }
  const failures = previous.failures + 1;
  return { failures, window_started_at: previous.window_started_at, locked_until: failures >= limit ? windowEnd(previous.window_started_at) : null };
}

function windowEnd(start: Date): Date {
  return new Date(start.getTime() + SIGN_IN_WINDOW_MS);
}
