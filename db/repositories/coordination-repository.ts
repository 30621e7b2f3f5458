/**
 * How instances sharing one database divide work: leases for what only one
 * may do at a time, and claimed periods for jobs that run once per period.
 * Each is one statement, so the database decides between instances racing
 * for it.
 */
import { and, eq, lt, or } from "drizzle-orm";
import { instanceLeases, scheduledRuns } from "../schema";
import type { Executor } from "../executor";

/**
 * Takes or renews the lease `name` for `holder` until now + ttl: true when
 * this holder has it now (it was free, expired, or already ours).
 */
export function holdLease(db: Executor, name: string, holder: string, now: Date, ttlMs: number): boolean {
  const expires_at = new Date(now.getTime() + ttlMs);
  const result = db
    .insert(instanceLeases)
    .values({ name, holder, expires_at })
    .onConflictDoUpdate({
      target: instanceLeases.name,
      set: { holder, expires_at },
      setWhere: or(eq(instanceLeases.holder, holder), lt(instanceLeases.expires_at, now)),
    })
    .run();
  return result.changes === 1;
}

/** Gives the lease up at once (a clean shutdown), so another instance need not wait for it to expire. */
export function releaseLease(db: Executor, name: string, holder: string): void {
  db.delete(instanceLeases).where(and(eq(instanceLeases.name, name), eq(instanceLeases.holder, holder))).run();
}

/** The first instance to claim `job` for `slot` runs it; the others get false. */
export function claimScheduledRun(db: Executor, job: string, slot: Date, instance: string, now: Date): boolean {
  return db.insert(scheduledRuns).values({ job, slot, instance, claimed_at: now }).onConflictDoNothing().run().changes === 1;
}

/** Claims older than `before` have done their job. */
export function pruneScheduledRuns(db: Executor, before: Date): void {
  db.delete(scheduledRuns).where(lt(scheduledRuns.slot, before)).run();
}
