/**
 * The job engine on PostgreSQL: graphile-worker, sharing the product's pool.
 *
 * - Campaign steps are jobs: migrations-pg 0004's trigger enqueues one per
 *   enrollment at the step's due time (its job key), in the transaction that
 *   made the step due. The job starts a run of every due step (or joins the
 *   one in progress), whose claims keep a job, an event-driven run and the
 *   periodic sweep from doing one step twice; a claim removes the claimed
 *   steps' jobs still waiting.
 * - Periodic work (the hourly trigger scan, reminders, extraction retries,
 *   the stale-call sweep, the step sweep) is graphile-worker's cron: one
 *   instance schedules each period, whichever instances run. Its cron counts
 *   minutes; a pattern with seconds (tests, demos) stays on the in-process
 *   scheduler, whose period claims (scheduled_runs) also run it once.
 */
import { Cron } from "croner";
import { Logger as GraphileLogger, parseCronItems, run, type CronItem, type Runner, type TaskList } from "graphile-worker";
import type pg from "pg";
import { z } from "zod";
import type { ScheduledJob } from "../campaigns/scheduler";
import type { Logger } from "../logger";
import type { DispatchGuard } from "../observability/dispatch-guard";
import type { JobEngine } from "./job-engine";

/** What migrations-pg 0004's trigger puts in a campaign step's job. */
const campaignStepPayload = z.object({ enrollment_id: z.number().int().positive() });

export interface GraphileEngineDeps {
  pool: pg.Pool;
  jobs: readonly ScheduledJob[];
  /** Runs every due step (a step job's among them) together, waiting at most the given time for it. */
  runDueSteps: (maxWaitMs: number) => Promise<void>;
  timeZone: string;
  guard: DispatchGuard;
  log: Logger;
  /** The in-process scheduler, for the jobs whose pattern has seconds. */
  inProcess: (jobs: readonly ScheduledJob[]) => JobEngine;
}

/**
 * Jobs this instance runs at once. A step job only starts (or joins) a run of every due step,
 * which does the work in its own slots (CAMPAIGN_CONCURRENCY), so a few suffice; each slot more
 * is one more worker fetching jobs, and with 128 of them, 5,000 steps due at once spent more on
 * fetching and completing their jobs than on the steps (670 messages/s against 1,190 with 4).
 */
const JOBS_AT_ONCE = 4;
/** How long a step job waits for the run it joined before letting its slot go (the run goes on). */
const STEP_JOB_MAX_WAIT_MS = 5_000;

export function createGraphileEngine(deps: GraphileEngineDeps): JobEngine {
  const { log } = deps;
  const byMinute = deps.jobs.filter((job) => hasMinuteGranularity(job.cron));
  const bySecond = deps.inProcess(deps.jobs.filter((job) => !hasMinuteGranularity(job.cron)));
  let runner: Runner | null = null;

  const taskList: TaskList = {
    async campaign_step(payload) {
      const parsed = campaignStepPayload.safeParse(payload);
      // Not ours to retry: a malformed payload stays malformed.
      if (!parsed.success) {
        log.error({ issues: parsed.error.issues.map((issue) => issue.path.join(".")) }, "campaign step job with an invalid payload: skipped");
        return;
      }
      // A throw makes graphile-worker retry with backoff; the claim keeps a retry from doing the step twice.
      await deps.runDueSteps(STEP_JOB_MAX_WAIT_MS);
    },
  };
  for (const job of byMinute) {
    taskList[taskName(job)] = async () => {
      try {
        log.debug({ job: job.name, result: await job.run() }, "scheduled job done");
      } catch (error) {
        // The next period runs it again; a retry now would overlap it.
        deps.guard.failed("scheduled_job", { job: job.name }, error);
      }
    };
  }
  const cronItems: CronItem[] = byMinute.map((job) => ({
    task: taskName(job),
    identifier: job.name,
    match: matcherInZone(job.cron, deps.timeZone),
    // A period missed while no instance ran is not made up: the next one does the same work.
    options: { backfillPeriod: 0, maxAttempts: 1 },
  }));

  return {
    async start() {
      if (runner) return;
      runner = await run({
        pgPool: deps.pool,
        concurrency: JOBS_AT_ONCE,
        // The product handles SIGTERM itself (main.ts) and stops the runner in order.
        noHandleSignals: true,
        pollInterval: 1000,
        logger: graphileLogger(log),
        taskList,
        parsedCronItems: parseCronItems(cronItems),
      });
      await bySecond.start();
      log.info({ cron: byMinute.map((job) => job.name), in_process: deps.jobs.filter((job) => !hasMinuteGranularity(job.cron)).map((job) => job.name) }, "job engine started (graphile-worker)");
    },
    async stop() {
      await bySecond.stop();
      const stopping = runner;
      runner = null;
      // Lets jobs in progress finish; the jobs not started stay queued for another instance.
      await stopping?.stop();
    },
    running: () => runner !== null,
  };
}

function taskName(job: ScheduledJob): string {
  return `periodic_${job.name.replace(/\W/g, "_")}`;
}

/** Five fields: minutes are the finest unit graphile-worker's cron knows. */
function hasMinuteGranularity(pattern: string): boolean {
  return pattern.trim().split(/\s+/).length === 5;
}

/**
 * graphile-worker's cron reads patterns in UTC; the product's are read in the
 * agency's zone (TZ), as croner does. The matcher asks croner whether the
 * minute graphile-worker is considering is one the pattern fires on.
 */
function matcherInZone(pattern: string, timeZone: string) {
  const cron = new Cron(pattern, { timezone: timeZone, paused: true });
  return (digest: { min: number; hour: number; date: number; month: number }) => {
    const now = new Date();
    // The digest has no year: the minute is this year's, or last year's on the night of 31 December.
    let year = now.getUTCFullYear();
    if (digest.month > now.getUTCMonth() + 1) year -= 1;
    const minute = new Date(Date.UTC(year, digest.month - 1, digest.date, digest.hour, digest.min));
    return cron.nextRun(new Date(minute.getTime() - 1))?.getTime() === minute.getTime();
  };
}

/** graphile-worker's log lines through the product's logger (its job lines are debug: the product logs outcomes). */
function graphileLogger(log: Logger): GraphileLogger {
  return new GraphileLogger((scope) => (level, message, meta) => {
    const fields = { job_engine: "graphile-worker", task: scope.taskIdentifier, job_id: scope.jobId, ...(meta && { meta }) };
    if (level === "error") log.error(fields, message);
    else if (level === "warning") log.warn(fields, message);
    else log.debug(fields, message);
  });
}
