/**
 * What runs scheduled and delayed work, behind one interface: on SQLite the
 * in-process scheduler (croner, periods claimed in scheduled_runs); on
 * PostgreSQL graphile-worker (src/jobs/graphile-engine.ts), whose queued jobs
 * and cron are shared by every instance.
 */
export interface JobEngine {
  start(): Promise<void>;
  /** Stops taking work; work in progress finishes first. */
  stop(): Promise<void>;
  running(): boolean;
}
