/**
 * Rules of dashboard accounts: how an e-mail is compared, what a password
 * must be, and how long a session lives. Pure: the clock's time is passed in.
 */

/** One person, one account: " Ana@Agencia.MX " and "ana@agencia.mx" are the same e-mail. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase().normalize("NFC");
}

/** A pragmatic check (something@domain.tld, no spaces, at most 254 characters): the mailbox itself is never verified. */
export function isValidEmail(email: string): boolean {
  return email.length <= 254 && /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u.test(email);
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;

/** Why a new password is refused (Spanish, for the person choosing it), or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `La contraseña debe tener al menos ${PASSWORD_MIN_LENGTH} caracteres.`;
  if (length > PASSWORD_MAX_LENGTH) return `La contraseña debe tener como máximo ${PASSWORD_MAX_LENGTH} caracteres.`;
  return null;
}

/** A session ends after this long without use… */
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** …and this long after sign-in, however much it is used. */
export const SESSION_ABSOLUTE_MS = 7 * 86_400_000;
/** Use is written down at most this often: a request in between costs one read, no write. */
export const SESSION_TOUCH_EVERY_MS = 5 * 60_000;

export interface SessionTimes {
  last_seen_at: Date;
  expires_at: Date;
  absolute_expires_at: Date;
}

/** The times of a session that starts now. */
export function newSessionTimes(now: Date): SessionTimes & { created_at: Date } {
  const absolute = new Date(now.getTime() + SESSION_ABSOLUTE_MS);
  return { created_at: now, last_seen_at: now, expires_at: idleExpiry(now, absolute), absolute_expires_at: absolute };
}

export type SessionCheck =
  | { kind: "expired" }
  | { kind: "valid" }
  /** Valid, and its use is to be written down: it now lives until `expires_at`. */
  | { kind: "touch"; last_seen_at: Date; expires_at: Date };

/** Whether a session read at `now` still opens the dashboard, and whether to record its use. */
export function checkSession(session: SessionTimes, now: Date): SessionCheck {
  const at = now.getTime();
  if (at >= session.expires_at.getTime() || at >= session.absolute_expires_at.getTime()) return { kind: "expired" };
  // A clock that went back (now before last_seen_at) writes nothing: the session keeps its expiry.
  if (at - session.last_seen_at.getTime() < SESSION_TOUCH_EVERY_MS) return { kind: "valid" };
  return { kind: "touch", last_seen_at: now, expires_at: idleExpiry(now, session.absolute_expires_at) };
}

function idleExpiry(now: Date, absolute: Date): Date {
  return new Date(Math.min(now.getTime() + SESSION_IDLE_MS, absolute.getTime()));
}
