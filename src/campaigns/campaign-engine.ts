/**
 * The campaign engine: enrolls leads when triggers match, and runs their due
 * steps. Event-driven for stage entries and activations (steps due at once run
 * within moments), plus full passes from the scheduler or POST /campaigns/run.
 */
import type { Database } from "../../db/database";
import type { Executor } from "../../db/executor";
import { findCampaign, findFirstStep, listActiveCampaigns, listActiveStageCampaigns } from "../../db/repositories/campaigns-repository";
import { enrollMatchingLeads, exitIneligibleEnrollments, type ScanScope } from "../../db/repositories/enrollments-repository";
import type { Campaign, Lead } from "../../db/schema";
import type { Clock } from "../clock";
import type { Logger } from "../logger";
import type { StageEntered } from "../services/lead-events";
import type { RunSummary, StepRunner } from "./step-runner";

const SCAN_MARGIN_MS = 5 * 60_000;

export interface CampaignEngineDeps {
  db: Database;
  clock: Clock;
  runner: StepRunner;
  log: Logger;
}

export interface ScanSummary {
  enrolled: number;
  exited: number;
}

export function createCampaignEngine({ db, clock, runner, log }: CampaignEngineDeps) {
  // Runs may overlap (an event arrives while a pass waits on a slow send): the
  // claim in the database keeps them from doing a step twice, and the runner's
  // shared limit keeps the number of steps acting at once bounded.
  const inProgress = new Set<Promise<unknown>>();
  // When this process last scanned: later scans look only at what changed since
  // (minus a margin for writes that committed late). The first scan of every
  // process, and of a campaign edited since, is a full one.
  let lastScanAt: Date | null = null;

  async function enroll(tx: Executor, campaign: Campaign, scope: ScanScope = {}): Promise<number> {
    const first = await findFirstStep(tx, campaign.id);
    return first ? enrollMatchingLeads(tx, campaign, first, clock.now(), scope) : 0;
  }

  /** A run the engine waits for at shutdown (idle). */
  function tracked<T>(run: Promise<T>): Promise<T> {
    const settled = run.finally(() => inProgress.delete(settled));
    inProgress.add(settled);
    return settled;
  }

  // Event-driven runs are coalesced: an event that comes while one runs asks for one more pass
  // after it, not a pass of its own. Each pass reads every due step, so with 16 clients moving
  // leads, a pass per move piled up hundreds of passes over the same steps (bench:voice's
  // neighbours: campaign sends fell from 250/s to 6–20/s and the event loop stalled for seconds).
  let kicked: Promise<void> | null = null;
  let kickAgain = false;
  // Step jobs waiting for a run that starts after they came up (runStepJob).
  let waitingForRun: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  // The leads whose move enrolled them somewhere, until the move's commit asks for a run. Most moves
  // enroll nothing (no active campaign starts at that stage), and a run after them would find nothing
  // new: at 16 clients creating leads it was a pass of three queries per lead. Keyed by the lead
  // object the move hands to both listeners; a move that rolls back leaves its entry to the collector.
  const enrolledByMove = new WeakSet<Lead>();

  function runDue(): Promise<RunSummary> {
    return tracked(runner.runDueSteps());
  }

  /** Fire-and-forget run after an event; failures are logged, never thrown at the caller. */
  function kick(): void {
    if (kicked) {
      kickAgain = true;
      return;
    }
    kicked = tracked(
      (async () => {
        try {
          do {
            kickAgain = false;
            // This run starts after every job waiting now came up: their steps, if due, are in it.
            const covered = waitingForRun;
            waitingForRun = [];
            try {
              await runDue();
              for (const job of covered) job.resolve();
            } catch (error) {
              log.error({ err: error }, "campaign run failed");
              for (const job of covered) job.reject(error);
            }
          } while (kickAgain);
        } finally {
          // Cleared in the same turn as the last check of kickAgain: a kick in between would be lost.
          kicked = null;
        }
      })(),
    );
  }

  return {
    /** Enrolls every lead that matches an active campaign, and ends enrollments that no longer qualify. */
    async scanTriggers(options: { full?: boolean } = {}): Promise<ScanSummary> {
      const now = clock.now();
      const since = lastScanAt && !options.full ? new Date(lastScanAt.getTime() - SCAN_MARGIN_MS) : undefined;
      const summary = await db.transaction(async (tx) => {
        const exited = await exitIneligibleEnrollments(tx, now, { changedSince: since });
        let enrolled = 0;
        for (const campaign of await listActiveCampaigns(tx)) {
          const editedSince = since !== undefined && campaign.updated_at >= since;
          enrolled += await enroll(tx, campaign, { changedSince: editedSince ? undefined : since });
        }
        return { enrolled, exited };
      });
      lastScanAt = now;
      return summary;
    },

    /**
     * Leads entered a stage (one moved, or several created together), inside the transaction
     * that moved them: end the enrollments they no longer qualify for and enroll them where
     * their stage fires, so the moves and their enrollments commit together. Each stage's
     * campaigns are read once, and each campaign enrolls all its new leads in one statement.
     */
    async enrollOnStageEntered(tx: Executor, events: readonly StageEntered[]): Promise<void> {
      // A lead just created (from no stage) has no enrollments to end, nor has one its move saw none of.
      const moved = events.filter((event) => event.from_stage !== null && event.seen?.activeEnrollments !== false).map((event) => event.lead.id);
      if (moved.length > 0) await exitIneligibleEnrollments(tx, clock.now(), { leadIds: moved });
      for (const [stage, entered] of groupBy(events, (event) => event.to_stage)) {
        // The move's own statement saw no active campaign firing on the stage: none to read.
        if (entered.every((event) => event.seen?.stageCampaigns === false)) continue;
        let enrolled = 0;
        const leadIds = entered.map((event) => event.lead.id);
        for (const campaign of await listActiveStageCampaigns(tx, stage)) enrolled += await enroll(tx, campaign, { leadIds });
        // Which of them enrolled is not told apart: a run after their commit finds what is due.
        if (enrolled > 0) for (const event of entered) enrolledByMove.add(event.lead);
      }
    },

    /** Once the move committed: run what it made due (a first step with no delay goes out within moments). */
    handleStageEntered(event: StageEntered): void {
      if (enrolledByMove.delete(event.lead)) kick();
    },

    /** A campaign became active: leads that already match enroll now (e.g. those already in its stage). */
    async handleCampaignActivated(campaignId: number): Promise<void> {
      const campaign = await db.run((q) => findCampaign(q, campaignId));
      if (campaign?.status !== "active") return;
      const enrolled = await db.transaction((tx) => enroll(tx, campaign));
      log.info({ campaign_id: campaignId, enrolled }, "campaign activated");
      kick();
    },

    runDue,

    /**
     * A step's job came up (src/jobs/graphile-engine.ts): starts a run, or asks the one in progress
     * for another pass after it, which runs the step if it is due. Jobs coming up together share
     * that run, which claims, sends and records their steps in groups: a job per step running its
     * own made groups of one, plus the job engine's fetch and completion per step (5,000 steps due
     * at once went at 500/s instead of 1,100/s on PostgreSQL in bench:campaigns).
     *
     * Resolves when that run ends, or after `maxWaitMs` while it goes on (a run at Telegram's cap
     * can take minutes, and a waiting job holds one of the job engine's slots, which its cron
     * tasks need too); rejects if the run failed, so the job engine tries again later. The claim
     * keeps a step from running twice, and the per-minute sweep runs any step a lost run left.
     */
    runStepJob(maxWaitMs: number): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, maxWaitMs);
        timer.unref();
        waitingForRun.push({
          resolve() {
            clearTimeout(timer);
            resolve();
          },
          reject(error) {
            clearTimeout(timer);
            reject(error);
          },
        });
        kick();
      });
    },

    /** One full pass: scan triggers, then run everything due. */
    async runPass(): Promise<{ scan: ScanSummary; run: RunSummary }> {
      const scan = await this.scanTriggers();
      const run = await runDue();
      return { scan, run };
    },

    /** Resolves when no run is in progress (tests and shutdown wait on it). */
    async idle(): Promise<void> {
      while (inProgress.size > 0) await Promise.allSettled([...inProgress]);
    },
  };
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

export type CampaignEngine = ReturnType<typeof createCampaignEngine>;
