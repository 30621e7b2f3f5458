/**
 * Whether this instance can take traffic (`GET /readyz`, for a load balancer
 * or an orchestrator): the database answers with every migration applied, and
 * the scheduled jobs run. Liveness stays `GET /healthz`.
 */
import { databaseState, type Db } from "../../db/client";

export interface ReadinessChecks {
  database: boolean;
  migrations: boolean;
  /** Null on a process that runs no scheduled jobs (without the worker role). */
  jobs: boolean | null;
}

export function createReadiness({ db, jobsRunning }: { db: Db; jobsRunning: (() => boolean) | null }) {
  return {
    check(): { ready: boolean; checks: ReadinessChecks } {
      const state = databaseState(db);
      const checks = { database: state.reachable, migrations: state.migrated, jobs: jobsRunning ? jobsRunning() : null };
      return { ready: checks.database && checks.migrations && checks.jobs !== false, checks };
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;
