/**
 * Whether this instance can take traffic (`GET /readyz`, for a load balancer
 * or an orchestrator): the database answers with every migration applied, and
 * the scheduled jobs run. Liveness stays `GET /healthz`.
 */
import { databaseState, type Db } from "../../db/client";

export interface ReadinessChecks {
  database: boolean;
  migrations: boolean;
  jobs: boolean;
}

export function createReadiness({ db, jobsRunning }: { db: Db; jobsRunning: () => boolean }) {
  return {
    check(): { ready: boolean; checks: ReadinessChecks } {
      const state = databaseState(db);
      const checks = { database: state.reachable, migrations: state.migrated, jobs: jobsRunning() };
      return { ready: checks.database && checks.migrations && checks.jobs, checks };
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;
