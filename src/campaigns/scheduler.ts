/**
 * The product's clock: croner jobs for the campaign scan (CAMPAIGN_CRON,
 * hourly as the guide says), the step runner and the appointment reminders
 * (CAMPAIGN_RUNNER_CRON, every minute). `protect` keeps a slow run of a job
 * from overlapping its next tick; jobs whose work is claimed in the database
 * may overlap safely.
 */
import { Cron } from "croner";
import type { Logger } from "../logger";
import type { DispatchGuard } from "../observability/dispatch-guard";

export interface ScheduledJob {
  name: string;
  cron: string;
  protect: boolean;
  run: () => Promise<unknown>;
}

export function createScheduler(definitions: readonly ScheduledJob[], timeZone: string, guard: DispatchGuard, log: Logger) {
  const jobs: Cron[] = [];
  return {
    start(): void {
      for (const job of definitions) {
        jobs.push(
          new Cron(job.cron, { name: job.name, protect: job.protect, timezone: timeZone }, async () => {
            try {
              log.debug({ job: job.name, result: await job.run() }, "scheduled job done");
            } catch (error) {
              guard.failed("scheduled_job", { job: job.name }, error);
            }
          }),
        );
      }
    },
    stop(): void {
      for (const job of jobs.splice(0)) job.stop();
    },
  };
}
