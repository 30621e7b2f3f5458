/**
 * Runs due campaign steps, each at most once.
 *
 * A step is claimed before it acts: one transaction re-checks the enrollment,
 * inserts the step's log row as `in_flight` (the unique (enrollment, step)
 * index lets exactly one claimer win, across passes and processes) and clears
 * the enrollment's next_run_at. Then the action runs outside any transaction
 * (it talks to Telegram), and a second transaction records the outcome and
 * schedules the next step. A process that dies in between leaves the log
 * `in_flight`; after the lease it is flagged for review and the enrollment
 * moves on, never re-sending a message that may have gone out. A send whose
 * delivery is unknown (Telegram took the request, the answer never came) is
 * recorded the same way at once: in_flight, needs_review, and the next step.
 */
import type { Database } from "../../db/database";
import type { Executor } from "../../db/executor";
import { selectAbandonedClaims, selectDueEnrollmentIds } from "../../db/repositories/enrollments-repository";
import * as stepRun from "../../db/repositories/step-run-repository";
import type { Clock } from "../clock";
import { parseTrigger } from "../domain/campaign-rules";
import { enrollmentExitReason } from "../domain/enrollment-rules";
import { isQuietTime, quietWindowEnd, type QuietWindow } from "../domain/quiet-hours";
import type { Logger } from "../logger";
import { deliveryFailureOf } from "../services/message-status-service";
import type { StepActions, StepContext, StepOutcome } from "./step-actions";

export interface StepRunnerDeps {
  db: Database;
  clock: Clock;
  actions: StepActions;
  quietHours: QuietWindow | null;
  timeZone: string;
  concurrency: number;
  leaseMs: number;
  log: Logger;
}

export interface RunSummary {
  success: number;
  failed: number;
  skipped: number;
  /** Steps that may or may not have acted (a message whose delivery is unknown): flagged for review, not redone. */
  needs_review: number;
  exited: number;
  completed: number;
  postponed: number;
  recovered: number;
}

type Claim = { kind: "run"; context: StepContext; logId: number } | { kind: "exited" | "completed" | "postponed" | "lost" };

const BATCH = 500;

export function createStepRunner(deps: StepRunnerDeps) {
  const { db, clock, log } = deps;
  // One limit for the whole process, however many runs overlap.
  const slots = createSemaphore(deps.concurrency);

  /** After a step: schedule the next one `delay_hours` from now, or complete the enrollment. */
  async function advanceEnrollment(tx: Executor, enrollmentId: number, campaignId: number, stepNumber: number, now: Date): Promise<"completed" | "scheduled"> {
    const next = await stepRun.stepAfter(tx, campaignId, stepNumber);
    if (!next) {
      await stepRun.complete(tx, enrollmentId, now);
      return "completed";
    }
    await stepRun.scheduleStep(tx, enrollmentId, next.step_number, new Date(now.getTime() + Math.round(next.delay_hours * 3_600_000)), now);
    return "scheduled";
  }

  function claim(enrollmentId: number): Promise<Claim> {
    return db.transaction(async (tx): Promise<Claim> => {
      const now = clock.now();
      const found = await stepRun.claimContext(tx, enrollmentId);
      if (!found) return { kind: "lost" };
      const { enrollment, campaign, lead } = found;
      // Someone else claimed or ended it since we selected it, or the campaign was paused.
      if (enrollment.status !== "active" || !enrollment.next_run_at || enrollment.next_run_at > now || campaign.status !== "active") return { kind: "lost" };

      const trigger = parseTrigger(campaign);
      const exitReason = trigger ? enrollmentExitReason(trigger, lead, enrollment) : "La condición de la campaña no es válida";
      if (exitReason) {
        await stepRun.exit(tx, enrollmentId, exitReason, now);
        return { kind: "exited" };
      }
      const stepNumber = enrollment.next_step_number ?? 0;
      const step = found.step;
      if (!step) {
        // The step was removed from the campaign: go on with the one after it.
        return (await advanceEnrollment(tx, enrollmentId, campaign.id, stepNumber, now)) === "completed" ? { kind: "completed" } : { kind: "lost" };
      }
      const zone = lead.timezone ?? deps.timeZone;
      if (step.action !== "update_stage" && isQuietTime(now, zone, deps.quietHours)) {
        await stepRun.setNextRun(tx, enrollmentId, quietWindowEnd(now, zone, deps.quietHours), now);
        return { kind: "postponed" };
      }
      const claimed = await stepRun.claim(tx, {
        campaignId: campaign.id,
        stepId: step.id,
        stepNumber: step.step_number,
        action: step.action,
        enrollmentId,
        leadId: lead.id,
        now,
      });
      if (!claimed) return { kind: "lost" };
      await stepRun.setNextRun(tx, enrollmentId, null, now);
      return { kind: "run", logId: claimed.id, context: { campaign, step, lead, enrollmentId } };
    });
  }

  /**
   * The outcome's detail with a provider's verdict that came before it: WhatsApp's failure callback
   * (e.g. 63016) can arrive between the message being stored and this outcome, when no log names
   * the message yet for the callback to find; the message row has the verdict, so it is copied here.
   */
  async function withEarlierVerdict(tx: Executor, detail: Record<string, unknown> | null): Promise<Record<string, unknown> | null> {
    const sid = detail?.message_sid;
    if (typeof sid !== "string") return detail;
    const failure = await deliveryFailureOf(tx, "whatsapp", sid);
    return failure ? { ...detail, delivery: failure } : detail;
  }

  function recordOutcome(logId: number, context: StepContext, outcome: StepOutcome): Promise<"completed" | "scheduled"> {
    return db.transaction(async (tx) => {
      const now = clock.now();
      // An unknown outcome is recorded as the crash case is: still in_flight, flagged for review.
      const needsReview = outcome.status === "needs_review";
      await stepRun.recordOutcome(tx, {
        id: logId,
        status: needsReview ? "in_flight" : outcome.status,
        error: outcome.status === "success" ? null : outcome.error,
        detail: await withEarlierVerdict(tx, outcome.detail ?? null),
        attempts: outcome.attempts,
        needsReview,
        now,
      });
      return advanceEnrollment(tx, context.enrollmentId, context.campaign.id, context.step.step_number, now);
    });
  }

  async function runOne(enrollmentId: number, summary: RunSummary): Promise<void> {
    const claimed = await claim(enrollmentId);
    if (claimed.kind !== "run") {
      if (claimed.kind !== "lost") summary[claimed.kind]++;
      return;
    }
    let outcome: StepOutcome;
    try {
      outcome = await deps.actions.perform(claimed.context);
    } catch (error) {
      log.error({ err: error, campaign_id: claimed.context.campaign.id, lead_id: claimed.context.lead.id }, "campaign step crashed");
      outcome = { status: "failed", attempts: 1, error: error instanceof Error ? error.message : String(error) };
    }
    summary[outcome.status]++;
    if ((await recordOutcome(claimed.logId, claimed.context, outcome)) === "completed") summary.completed++;
  }

  return {
    /** Flags steps whose process died mid-step and moves their enrollments on, without redoing them. */
    async recoverAbandoned(): Promise<number> {
      const now = clock.now();
      const abandoned = await db.run((q) => selectAbandonedClaims(q, new Date(now.getTime() - deps.leaseMs)));
      for (const claimRow of abandoned) {
        await db.transaction(async (tx) => {
          const flagged = await stepRun.flagAbandoned(tx, claimRow.id, "Interrumpido a mitad del paso (el proceso se detuvo): no se reintenta para no duplicar; revisar si llegó", now);
          if (!flagged || claimRow.enrollment_id === null) return;
          const enrollment = await stepRun.enrollment(tx, claimRow.enrollment_id);
          if (enrollment?.status === "active" && enrollment.next_run_at === null && enrollment.next_step_number === claimRow.step_number) {
            await advanceEnrollment(tx, enrollment.id, claimRow.campaign_id, claimRow.step_number, now);
          }
        });
        log.warn({ log_id: claimRow.id, campaign_id: claimRow.campaign_id }, "in-flight campaign step abandoned by a dead process: flagged for review");
      }
      return abandoned.length;
    },

    /**
     * Runs one enrollment's step if it is due (a job engine's job for it came
     * up); nothing when it is not due yet or another run claimed it.
     */
    async runEnrollment(enrollmentId: number): Promise<RunSummary> {
      const summary: RunSummary = { success: 0, failed: 0, skipped: 0, needs_review: 0, exited: 0, completed: 0, postponed: 0, recovered: 0 };
      await slots.use(() => runOne(enrollmentId, summary));
      return summary;
    },

    /** Runs every due step (and the ones they make due), `concurrency` at a time. */
    async runDueSteps(): Promise<RunSummary> {
      const summary: RunSummary = { success: 0, failed: 0, skipped: 0, needs_review: 0, exited: 0, completed: 0, postponed: 0, recovered: 0 };
      summary.recovered = await this.recoverAbandoned();
      // Steps with no delay become due as soon as the previous one ran: loop
      // until nothing is due, or until a batch makes no progress (every claim
      // lost to another process), so a pass always ends.
      for (;;) {
        const due = await db.run((q) => selectDueEnrollmentIds(q, clock.now(), BATCH));
        if (due.length === 0) break;
        const before = progress(summary);
        await Promise.all(due.map((id) => slots.use(() => runOne(id, summary))));
        if (progress(summary) === before) break;
      }
      return summary;
    },
  };
}

function progress(summary: RunSummary): number {
  return summary.success + summary.failed + summary.skipped + summary.needs_review + summary.exited + summary.completed + summary.postponed;
}

export type StepRunner = ReturnType<typeof createStepRunner>;

/** At most `limit` tasks at once; the rest wait their turn in order. */
function createSemaphore(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async use<T>(task: () => Promise<T>): Promise<T> {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      try {
        return await task();
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
  };
}
