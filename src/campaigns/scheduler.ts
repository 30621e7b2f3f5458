/**
 * The in-process job engine (SQLite's; on PostgreSQL, src/jobs/graphile-engine.ts
 * runs these jobs, and keeps here only patterns with seconds): croner jobs for the campaign scan (CAMPAIGN_CRON,
 * hourly as the guide says), the step runner and the appointment reminders
 * (CAMPAIGN_RUNNER_CRON, every minute). `protect` keeps a slow run of a job
 * from overlapping its next tick; jobs whose work is claimed in the database
 * may overlap safely. A job marked `oncePerPeriod` runs on one instance per
 * period when several share the database: each instance's tick claims the
 * period (the pattern's time, the same on every instance) and only the first
 * claim runs.
 */
import { Cron } from "croner";
import type { Logger } from "../logger";
import type { DispatchGuard } from "../observability/dispatch-guard";
import type { JobEngine } from "../jobs/job-engine";

export interface ScheduledJob {
  name: string;
  cron: string;
  protect: boolean;
  /** Once per period across instances, not once per instance. */
  oncePerPeriod?: boolean;
  run: () => Promise<unknown>;
}

/** The database's word on who runs a period (src/services/instance-coordination.ts). */
export type ClaimPeriod = (job: string, slot: Date) => Promise<boolean>;

/**
 * The time the pattern fired for, whatever the delay of this tick: the same
 * period on every instance. Read on croner's clock (the system's), the clock
 * that fired the tick.
 */
function periodOf(cron: Cron): Date {
  const now = new Date();
  return cron.previousRuns(1, new Date(now.getTime() + 1))[0] ?? new Date(Math.floor(now.getTime() / 1000) * 1000);
}

export function createScheduler(definitions: readonly ScheduledJob[], timeZone: string, guard: DispatchGuard, log: Logger, claimPeriod: ClaimPeriod): JobEngine {
  const jobs: Cron[] = [];
  return {
    running: () => jobs.length > 0,
    async start() {
      for (const job of definitions) {
        jobs.push(
          new Cron(job.cron, { name: job.name, protect: job.protect, timezone: timeZone }, async (self: Cron) => {
            try {
              if (job.oncePerPeriod && !(await claimPeriod(job.name, periodOf(self)))) {
                log.debug({ job: job.name }, "scheduled job skipped: another instance runs this period");
                return;
              }
              log.debug({ job: job.name, result: await job.run() }, "scheduled job done");
            } catch (error) {
              guard.failed("scheduled_job", { job: job.name }, error);
            }
          }),
        );
      }
    },
    async stop() {
      for (const job of jobs.splice(0)) job.stop();
    },
  };
}
