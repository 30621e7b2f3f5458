/**
 * The campaign clock: CAMPAIGN_CRON scans triggers (hourly by default, as the
 * guide says) and CAMPAIGN_RUNNER_CRON runs due steps (every minute). croner's
 * `protect` keeps a slow scan from overlapping the next one; the claim in the
 * database keeps overlapping runs and other processes from running a step twice.
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
      // The scan is protected from overlapping itself; runner ticks may overlap a
      // run stuck on a slow send, so one hung request never stalls every campaign.
      jobs.push(new Cron(options.scanCron, { protect: true, timezone: options.timeZone, name: "campaign-scan" }, guarded("scan", () => engine.runPass())));
      jobs.push(new Cron(options.runnerCron, { timezone: options.timeZone, name: "campaign-runner" }, guarded("runner", () => engine.runDue())));
    },
    stop(): void {
      for (const job of jobs.splice(0)) job.stop();
    },
  };
}
