/**
 * Whether this instance can take traffic (`GET /readyz`, for a load balancer
 * or an orchestrator): the database answers with every migration applied, and
 * the scheduled jobs run. Liveness stays `GET /healthz`.
 */
import type { Database } from "../../db/database";
import { newestAppliedMigration, newestShippedMigration } from "../../db/repositories/migrations-repository";

export interface ReadinessChecks {
  database: boolean;
  migrations: boolean;
  /** Null on a process that runs no scheduled jobs (without the worker role). */
  jobs: boolean | null;
}

export function createReadiness({ db, jobsRunning }: { db: Database; jobsRunning: (() => boolean) | null }) {
  /** The database answers, and it has every migration this build ships. */
  async function databaseState(): Promise<{ reachable: boolean; migrated: boolean }> {
    const latest = newestShippedMigration(db.dialect);
    try {
      const applied = await db.run((q) => newestAppliedMigration(q));
      return { reachable: true, migrated: applied >= latest };
    } catch {
      return { reachable: false, migrated: false };
    }
  }

  return {
    async check(): Promise<{ ready: boolean; checks: ReadinessChecks }> {
      const state = await databaseState();
      const checks = { database: state.reachable, migrations: state.migrated, jobs: jobsRunning ? jobsRunning() : null };
      return { ready: checks.database && checks.migrations && checks.jobs !== false, checks };
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;
