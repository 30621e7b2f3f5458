/**
 * Dashboard sessions, found by the SHA-256 of their cookie's token. Reading
 * one is what every dashboard request does, so that read and the occasional
 * write of its use are built once (db/prepared.ts).
 */
import { and, eq, lt, lte, sql } from "drizzle-orm";
import type { Executor } from "../executor";
import { first, reusableQuery, timeValue, unmappedPlaceholder } from "../prepared";
import type { Session } from "../schema";
import { userColumns, type User } from "./users-repository";

export async function insertSession(q: Executor, session: Session): Promise<void> {
  await q.db.insert(q.t.sessions).values(session);
}

type SessionWithUser = { session: Session; user: User };

// One primary-key lookup and the user by its primary key: the whole cost of a signed-in request.
const sessionWithUserQuery = reusableQuery<SessionWithUser>("session_with_user", (q) => {
  const { sessions, users } = q.t;
  return q.db
    .select({ session: sessions, user: userColumns(q.t) })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.user_id))
    .where(eq(sessions.token_hash, sql.placeholder("tokenHash")));
});

export async function findSessionWithUser(q: Executor, tokenHash: string): Promise<SessionWithUser | undefined> {
  return first(await sessionWithUserQuery(q, { tokenHash }));
}

// Only when the stored use is older than the caller thinks worth writing: requests from
// several tabs or instances at once then write it once.
const touchSessionQuery = reusableQuery<never>("touch_session", (q) => {
  const { sessions } = q.t;
  return q.db
    .update(sessions)
    .set({ last_seen_at: unmappedPlaceholder("seenAt"), expires_at: unmappedPlaceholder("expiresAt") })
    .where(and(eq(sessions.token_hash, sql.placeholder("tokenHash")), lte(sessions.last_seen_at, sql.placeholder("staleAt"))));
});

/** Records the session's use at `seenAt`, which keeps it until `expiresAt`, unless it was recorded after `staleAt`. */
export async function touchSession(q: Executor, tokenHash: string, seenAt: Date, expiresAt: Date, staleAt: Date): Promise<void> {
  await touchSessionQuery(q, {
    tokenHash,
    seenAt: timeValue(q, seenAt),
    expiresAt: timeValue(q, expiresAt),
    staleAt: timeValue(q, staleAt),
  });
}

export async function deleteSession(q: Executor, tokenHash: string): Promise<void> {
  const { sessions } = q.t;
  await q.db.delete(sessions).where(eq(sessions.token_hash, tokenHash));
}

/** Every session of an account (it was disabled), through sessions_user_idx. */
export async function deleteSessionsOfUser(q: Executor, userId: number): Promise<void> {
  const { sessions } = q.t;
  await q.db.delete(sessions).where(eq(sessions.user_id, userId));
}

/**
 * Sessions past their idle expiry, through sessions_expires_idx. expires_at
 * never passes absolute_expires_at, so this takes those past either.
 */
export async function deleteExpiredSessions(q: Executor, now: Date): Promise<void> {
  const { sessions } = q.t;
  await q.db.delete(sessions).where(lt(sessions.expires_at, now));
}
