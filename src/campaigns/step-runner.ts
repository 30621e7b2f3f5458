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
 *
 * Claims, and outcomes, are written in groups: each transaction takes every
 * step that came while the previous one ran (group-writer.ts). The rule is
 * the same as one by one; a group costs a handful of statements instead of a
 * dozen per step, which is what a step cost on PostgreSQL (round trips).
 */
import type { Database } from "../../db/database";
import type { Executor } from "../../db/executor";
import { selectAbandonedClaims, selectDueEnrollmentIds } from "../../db/repositories/enrollments-repository";
import * as stepBatch from "../../db/repositories/step-batch-repository";
import type { ClaimContext } from "../../db/repositories/step-batch-repository";
import * as stepRun from "../../db/repositories/step-run-repository";
import type { CampaignStep } from "../../db/schema";
import type { Clock } from "../clock";
import { parseTrigger } from "../domain/campaign-rules";
import { enrollmentExitReason } from "../domain/enrollment-rules";
import { isQuietTime, quietWindowEnd, type QuietWindow } from "../domain/quiet-hours";
import type { Logger } from "../logger";
import { deliveryFailureOf } from "../services/message-status-service";
import { createGroupWriter } from "../group-writer";
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

/** What a claim decides for one enrollment from what it read, before anything is written. */
type Decision =
  | { kind: "lost" }
  | { kind: "exit"; reason: string }
  | { kind: "skip_missing_step"; stepNumber: number }
  | { kind: "postpone"; until: Date }
  | { kind: "claim"; context: StepContext };

/** A step that acted, with its outcome to record. */
type Ran = { logId: number; context: StepContext; outcome: StepOutcome };

/** Due steps read per pass query. */
const BATCH = 500;

export function createStepRunner(deps: StepRunnerDeps) {
  const { db, clock, log } = deps;
  // One limit for the whole process, however many runs overlap.
  const slots = createSemaphore(deps.concurrency);

  /** After a step: schedule the next one `delay_hours` from now, or complete the enrollment. */
  async function advanceEnrollment(tx: Executor, enrollmentId: number, campaignId: number, stepNumber: number, now: Date): Promise<"completed" | "scheduled"> {
    const [answer] = await advanceGroup(tx, [{ enrollmentId, campaignId, stepNumber }], now);
    return answer!;
  }

  function decide(found: ClaimContext | undefined, now: Date): Decision {
    if (!found) return { kind: "lost" };
    const { enrollment, campaign, lead } = found;
    // Someone else claimed or ended it since we selected it, or the campaign was paused.
    if (enrollment.status !== "active" || !enrollment.next_run_at || enrollment.next_run_at > now || campaign.status !== "active") return { kind: "lost" };
    const trigger = parseTrigger(campaign);
    const exitReason = trigger ? enrollmentExitReason(trigger, lead, enrollment) : "La condición de la campaña no es válida";
    if (exitReason) return { kind: "exit", reason: exitReason };
    const step = found.step;
    // The step was removed from the campaign: go on with the one after it.
    if (!step) return { kind: "skip_missing_step", stepNumber: enrollment.next_step_number ?? 0 };
    const zone = lead.timezone ?? deps.timeZone;
    if (step.action !== "update_stage" && isQuietTime(now, zone, deps.quietHours)) return { kind: "postpone", until: quietWindowEnd(now, zone, deps.quietHours) };
    return { kind: "claim", context: { campaign, step, template: found.template, lead, enrollmentId: enrollment.id } };
  }

  /** Claims several enrollments' due steps in one transaction; a claim for each, in the order given. */
  function claimGroup(enrollmentIds: number[]): Promise<Claim[]> {
    return db.transaction(async (tx): Promise<Claim[]> => {
      const now = clock.now();
      const found = await stepBatch.claimContexts(tx, enrollmentIds);
      const byEnrollment = new Map<number, Claim>();
      const seen = new Set<number>();
      const toClaim: StepContext[] = [];
      for (const enrollmentId of enrollmentIds) {
        // The same enrollment twice in a group (its job and a pass at once): the first one claims it.
        if (seen.has(enrollmentId)) continue;
        seen.add(enrollmentId);
        const decision = decide(found.get(enrollmentId), now);
        if (decision.kind === "claim") {
          toClaim.push(decision.context);
        } else if (decision.kind === "exit") {
          await stepRun.exit(tx, enrollmentId, decision.reason, now);
          byEnrollment.set(enrollmentId, { kind: "exited" });
        } else if (decision.kind === "skip_missing_step") {
          const campaignId = found.get(enrollmentId)!.campaign.id;
          const advanced = await advanceEnrollment(tx, enrollmentId, campaignId, decision.stepNumber, now);
          byEnrollment.set(enrollmentId, { kind: advanced === "completed" ? "completed" : "lost" });
        } else if (decision.kind === "postpone") {
          await stepRun.setNextRun(tx, enrollmentId, decision.until, now);
          byEnrollment.set(enrollmentId, { kind: "postponed" });
        } else {
          byEnrollment.set(enrollmentId, { kind: "lost" });
        }
      }
      const won = await stepBatch.claimSteps(
        tx,
        toClaim.map(({ campaign, step, lead, enrollmentId }) => ({
          campaignId: campaign.id,
          stepId: step.id,
          stepNumber: step.step_number,
          action: step.action,
          enrollmentId,
          leadId: lead.id,
        })),
        now,
      );
      await stepBatch.clearNextRuns(tx, [...won.keys()], now);
      for (const context of toClaim) {
        const logId = won.get(context.enrollmentId);
        byEnrollment.set(context.enrollmentId, logId === undefined ? { kind: "lost" } : { kind: "run", logId, context });
      }
      return enrollmentIds.map((id, i) => (enrollmentIds.indexOf(id) === i ? byEnrollment.get(id)! : { kind: "lost" }));
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

  /**
   * Records a group's outcomes and moves each enrollment on, in one transaction: one statement for the
   * outcomes, one per next step for the enrollments. Answers, for each, whether it completed.
   */
  function recordGroup(ran: Ran[]): Promise<("completed" | "scheduled")[]> {
    return db.transaction(async (tx) => {
      const now = clock.now();
      // Provider ids in one order, so two groups take the per-message locks (deliveryFailureOf) without deadlocking.
      const bySid = [...ran].sort((a, b) => String(a.outcome.detail?.message_sid ?? "").localeCompare(String(b.outcome.detail?.message_sid ?? "")));
      const details = new Map<number, Record<string, unknown> | null>();
      for (const { logId, outcome } of bySid) details.set(logId, await withEarlierVerdict(tx, outcome.detail ?? null));
      // The messages sent, with their outcomes: a crash before this commit leaves their claims in flight, flagged for review.
      await stepRun.insertOutboundMessages(tx, ran.flatMap(({ outcome }) => (outcome.status === "success" && outcome.message ? [outcome.message] : [])));
      await stepBatch.recordOutcomes(
        tx,
        ran.map(({ logId, outcome }) => {
          // An unknown outcome is recorded as the crash case is: still in_flight, flagged for review.
          const needsReview = outcome.status === "needs_review";
          return {
            id: logId,
            status: needsReview ? "in_flight" : outcome.status,
            error: outcome.status === "success" ? null : outcome.error,
            detail: details.get(logId) ?? null,
            attempts: outcome.attempts,
            needsReview,
          };
        }),
        now,
      );
      return advanceGroup(
        tx,
        ran.map(({ context }) => ({ enrollmentId: context.enrollmentId, campaignId: context.campaign.id, stepNumber: context.step.step_number })),
        now,
      );
    });
  }

  /** advanceEnrollment for several enrollments: one look-up per step that ran, one write per next step. */
  async function advanceGroup(
    tx: Executor,
    ran: { enrollmentId: number; campaignId: number; stepNumber: number }[],
    now: Date,
  ): Promise<("completed" | "scheduled")[]> {
    const nextOf = new Map<string, CampaignStep | undefined>();
    const completed: number[] = [];
    const scheduled = new Map<string, { step: CampaignStep; enrollmentIds: number[] }>();
    const answers: ("completed" | "scheduled")[] = [];
    for (const { enrollmentId, campaignId, stepNumber } of ran) {
      const key = `${campaignId}:${stepNumber}`;
      if (!nextOf.has(key)) nextOf.set(key, await stepRun.stepAfter(tx, campaignId, stepNumber));
      const next = nextOf.get(key);
      if (!next) {
        completed.push(enrollmentId);
        answers.push("completed");
        continue;
      }
      const group = scheduled.get(key) ?? { step: next, enrollmentIds: [] };
      group.enrollmentIds.push(enrollmentId);
      scheduled.set(key, group);
      answers.push("scheduled");
    }
    await stepBatch.completeEnrollments(tx, completed, now);
    for (const { step, enrollmentIds } of scheduled.values()) {
      await stepBatch.scheduleEnrollments(tx, enrollmentIds, step.step_number, new Date(now.getTime() + Math.round(step.delay_hours * 3_600_000)), now);
    }
    return answers;
  }

  async function perform(context: StepContext): Promise<StepOutcome> {
    try {
      return await deps.actions.perform(context);
    } catch (error) {
      log.error({ err: error, campaign_id: context.campaign.id, lead_id: context.lead.id }, "campaign step crashed");
      return { status: "failed", attempts: 1, error: error instanceof Error ? error.message : String(error) };
    }
  }

  // Claims and outcomes are written as steps come and finish, each write taking every one that came
  // while the previous write ran (group-writer.ts): a step never waits for a slower one, and at a few
  // hundred steps a second (the runner's pass, or one job per step on PostgreSQL) they go several at once.
  const claims = createGroupWriter<number, Claim>(claimGroup, {
    onGroupFailed: (error, count) => log.warn({ err: error, steps: count }, "claiming campaign steps together failed: claiming them one by one"),
  });
  const outcomes = createGroupWriter<Ran, "completed" | "scheduled">(recordGroup, {
    onGroupFailed: (error, count) => log.warn({ err: error, steps: count }, "recording campaign steps together failed: recording them one by one"),
  });

  /** Claims one enrollment's due step, runs it and records its outcome, in one of the process's slots. */
  function runOne(enrollmentId: number, summary: RunSummary): Promise<void> {
    return slots.use(async () => {
      const claimed = await claims.write(enrollmentId);
      if (claimed.kind !== "run") {
        if (claimed.kind !== "lost") summary[claimed.kind]++;
        return;
      }
      const outcome = await perform(claimed.context);
      summary[outcome.status]++;
      if ((await outcomes.write({ logId: claimed.logId, context: claimed.context, outcome })) === "completed") summary.completed++;
    });
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
        await Promise.all(due.map((id) => runOne(id, summary)));
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
