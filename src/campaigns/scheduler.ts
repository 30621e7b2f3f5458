/**
 * The campaign clock: CAMPAIGN_CRON scans triggers (hourly by default, as the
 * guide says) and CAMPAIGN_RUNNER_CRON runs due steps (every minute). croner's
 * `protect` keeps a slow pass from overlapping the next one in this process;
 * the claim in the database keeps two processes from running a step twice.
 */
import { Cron } from "croner";
import type { Logger } from "../logger";
import type { CampaignEngine } from "./campaign-engine";

export interface CampaignSchedulerOptions {
  scanCron: string;
  runnerCron: string;
  timeZone: string;
}

export function createCampaignScheduler(engine: CampaignEngine, options: CampaignSchedulerOptions, log: Logger) {
  const jobs: Cron[] = [];
  const guarded = (name: string, work: () => Promise<unknown>) => async () => {
    try {
      const result = await work();
      log.debug({ job: name, result }, "campaign job done");
    } catch (error) {
      log.error({ err: error, job: name }, "campaign job failed");
    }
  };

  return {
    start(): void {
      const common = { protect: true, timezone: options.timeZone };
      jobs.push(new Cron(options.scanCron, { ...common, name: "campaign-scan" }, guarded("scan", () => engine.runPass())));
      jobs.push(new Cron(options.runnerCron, { ...common, name: "campaign-runner" }, guarded("runner", () => engine.runDue())));
    },
    stop(): void {
      for (const job of jobs.splice(0)) job.stop();
    },
  };
}
