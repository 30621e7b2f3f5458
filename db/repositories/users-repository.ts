/**
 * Dashboard accounts. A user read here never carries its password hash,
 * except from findCredentialsByEmail, which sign-in alone uses: a hash cannot
 * reach a page, an answer or an audit row by accident. Written once for
 * SQLite and PostgreSQL (db/database.ts: awaited builders).
 */
import { asc, eq } from "drizzle-orm";
import type { Executor } from "../executor";
import type { UserRow, users } from "../schema";

/** A dashboard account as the product shows it: everything but the password hash. */
export type User = Omit<UserRow, "password_hash">;

/** The columns of a User: every one but password_hash (also read with a session). */
export const userColumns = (t: Executor["t"]) => ({
  id: t.users.id,
  email: t.users.email,
  name: t.users.name,
  role: t.users.role,
  disabled_at: t.users.disabled_at,
  last_sign_in_at: t.users.last_sign_in_at,
  created_at: t.users.created_at,
  updated_at: t.users.updated_at,
});

/** Inserts an account; the unique index on email refuses a second one with the same (normalised) e-mail. */
export async function insertUser(q: Executor, user: typeof users.$inferInsert): Promise<User> {
  const [inserted] = await q.db.insert(q.t.users).values(user).returning(userColumns(q.t));
  return inserted!;
}

export async function findUserById(q: Executor, id: number): Promise<User | undefined> {
  const [user] = await q.db.select(userColumns(q.t)).from(q.t.users).where(eq(q.t.users.id, id)).limit(1);
  return user;
}

/** Disables an account from `at` (null enables it again). */
export async function setUserDisabledAt(q: Executor, id: number, disabledAt: Date | null, at: Date): Promise<User> {
  const [user] = await q.db.update(q.t.users).set({ disabled_at: disabledAt, updated_at: at }).where(eq(q.t.users.id, id)).returning(userColumns(q.t));
  return user!;
}

export async function findUserByEmail(q: Executor, email: string): Promise<User | undefined> {
  const [user] = await q.db.select(userColumns(q.t)).from(q.t.users).where(eq(q.t.users.email, email)).limit(1);
  return user;
}

/** The account and its password hash, for sign-in. */
export async function findCredentialsByEmail(q: Executor, email: string): Promise<{ user: User; password_hash: string } | undefined> {
  const { users } = q.t;
  const [row] = await q.db.select({ user: userColumns(q.t), password_hash: users.password_hash }).from(users).where(eq(users.email, email)).limit(1);
  return row;
}

/** Whether any account exists, from the first row of the primary key. */
export async function anyUserExists(q: Executor): Promise<boolean> {
  const found = await q.db.select({ id: q.t.users.id }).from(q.t.users).limit(1);
  return found.length > 0;
}

export async function listUsers(q: Executor): Promise<User[]> {
  return q.db.select(userColumns(q.t)).from(q.t.users).orderBy(asc(q.t.users.id));
}

/** Records a sign-in; a new hash replaces one made with older parameters. */
export async function markSignedIn(q: Executor, id: number, at: Date, rehashed: string | null): Promise<void> {
  const { users } = q.t;
  await q.db
    .update(users)
    .set(rehashed ? { last_sign_in_at: at, password_hash: rehashed, updated_at: at } : { last_sign_in_at: at })
    .where(eq(users.id, id));
}
