/**
 * Failed sign-ins per key (src/domain/sign-in-throttle.ts), in the database
 * every instance shares, so an attacker gains nothing by reaching another.
 * Written once for SQLite and PostgreSQL.
 */
import { eq, inArray, lte, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Executor } from "../executor";
import { timeValue } from "../prepared";
import type { SignInFailure } from "../schema";
import { recordFailure, SIGN_IN_WINDOW_MS, windowEndedBefore, type FailureWindow } from "../../src/domain/sign-in-throttle";

export async function findSignInFailures(q: Executor, keys: readonly string[]): Promise<SignInFailure[]> {
  const { signInFailures } = q.t;
  return q.db.select().from(signInFailures).where(inArray(signInFailures.key, [...keys]));
}

/**
 * One more failure for `key` at `now`, as recordFailure in one statement: a
 * read and a write apart would let two instances counting at once both write
 * the same count and lose a failure. Every expression reads the row as it was
 * before this statement. Answers the key as it is now.
 */
export async function recordSignInFailure(q: Executor, key: string, now: Date, limit: number): Promise<FailureWindow> {
  const { signInFailures: t } = q.t;
  const fresh = recordFailure(undefined, now, limit);
  const windowEnded = sql`${t.window_started_at} <= ${timeValue(q, windowEndedBefore(now))}`;
  const freshLock = fresh.locked_until ? sql`${timeValue(q, fresh.locked_until)}` : sql`NULL`;
  const [row] = await q.db
    .insert(t)
    .values({ key, ...fresh })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        failures: sql`CASE WHEN ${windowEnded} THEN 1 ELSE ${t.failures} + 1 END`,
        window_started_at: sql`CASE WHEN ${windowEnded} THEN ${timeValue(q, now)} ELSE ${t.window_started_at} END`,
        locked_until: sql`CASE WHEN ${windowEnded} THEN ${freshLock} WHEN ${t.failures} + 1 >= ${limit} THEN ${windowEndOf(q, t.window_started_at)} ELSE NULL END`,
      },
    })
    .returning({ failures: t.failures, window_started_at: t.window_started_at, locked_until: t.locked_until });
  return row!;
}

/** A success: the e-mail's failures from that address are forgotten. */
export async function clearSignInFailures(q: Executor, key: string): Promise<void> {
  const { signInFailures } = q.t;
  await q.db.delete(signInFailures).where(eq(signInFailures.key, key));
}

/** Keys whose window has ended say nothing any more (their lock ended with it): deleted through sign_in_failures_window_idx. */
export async function deleteEndedSignInFailures(q: Executor, now: Date): Promise<void> {
  const { signInFailures } = q.t;
  await q.db.delete(signInFailures).where(lte(signInFailures.window_started_at, windowEndedBefore(now)));
}

/** The end of the window that started at `start` (a column), as the database stores times. */
function windowEndOf(q: Executor, start: SQLWrapper): SQL {
  return q.dialect === "sqlite"
    ? sql`(${start} + ${sql.raw(String(SIGN_IN_WINDOW_MS))})`
    : sql`(${start} + interval '${sql.raw(String(SIGN_IN_WINDOW_MS))} milliseconds')`;
}
