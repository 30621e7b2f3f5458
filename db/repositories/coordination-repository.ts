/**
 * How instances sharing one database divide work: leases for what only one
 * may do at a time, and claimed periods for jobs that run once per period.
 * Each is one statement, so the database decides between instances racing
 * for it. Written once for SQLite and PostgreSQL (db/database.ts: awaited
 * builders, `returning()` to learn what a write touched).
 */
import { and, eq, lt, or } from "drizzle-orm";
import type { Q } from "../database";

/**
 * Takes or renews the lease `name` for `holder` until now + ttl: true when
 * this holder has it now (it was free, expired, or already ours).
 */
export async function holdLease(q: Q, name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
  const { instanceLeases } = q.t;
  const expires_at = new Date(now.getTime() + ttlMs);
  const taken = await q.db
    .insert(instanceLeases)
    .values({ name, holder, expires_at })
    .onConflictDoUpdate({
      target: instanceLeases.name,
      set: { holder, expires_at },
      setWhere: or(eq(instanceLeases.holder, holder), lt(instanceLeases.expires_at, now)),
    })
    .returning({ name: instanceLeases.name });
  return taken.length === 1;
}

/** Gives the lease up at once (a clean shutdown), so another instance need not wait for it to expire. */
export async function releaseLease(q: Q, name: string, holder: string): Promise<void> {
  const { instanceLeases } = q.t;
  await q.db.delete(instanceLeases).where(and(eq(instanceLeases.name, name), eq(instanceLeases.holder, holder)));
}

/** The first instance to claim `job` for `slot` runs it; the others get false. */
export async function claimScheduledRun(q: Q, job: string, slot: Date, instance: string, now: Date): Promise<boolean> {
  const { scheduledRuns } = q.t;
  const claimed = await q.db.insert(scheduledRuns).values({ job, slot, instance, claimed_at: now }).onConflictDoNothing().returning({ job: scheduledRuns.job });
  return claimed.length === 1;
}

/** Claims older than `before` have done their job. */
export async function pruneScheduledRuns(q: Q, before: Date): Promise<void> {
  const { scheduledRuns } = q.t;
  await q.db.delete(scheduledRuns).where(lt(scheduledRuns.slot, before));
}
