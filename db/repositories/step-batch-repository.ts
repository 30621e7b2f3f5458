/**
 * The campaign runner's writes for several steps at once (src/campaigns/step-runner.ts
 * runs due steps in groups): one statement for a group's claim contexts, one
 * for its claims, one to clear their next runs, one for their outcomes. On
 * PostgreSQL every statement is a round trip, and a welcome campaign over
 * thousands of waiting leads made about a dozen per step, one step at a time.
 * The exactly-once rule is the same as one by one: the unique
 * (enrollment, step) index lets one claimer win each step.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Campaign, CampaignEnrollment, CampaignStep, Lead } from "../schema";
import type { Executor } from "../executor";
import { rawRun, timeValue } from "../prepared";

export interface ClaimContext {
  enrollment: CampaignEnrollment;
  campaign: Campaign;
  lead: Lead;
  step: CampaignStep | null;
}

/** As claimContext (step-run-repository.ts), for several enrollments: the ones still there, by enrollment id. */
export async function claimContexts(q: Executor, enrollmentIds: number[]): Promise<Map<number, ClaimContext>> {
  const { campaignEnrollments, campaigns, leads, campaignSteps } = q.t;
  const rows = await q.db
    .select({ enrollment: campaignEnrollments, campaign: campaigns, lead: leads, step: campaignSteps })
    .from(campaignEnrollments)
    .innerJoin(campaigns, eq(campaigns.id, campaignEnrollments.campaign_id))
    .innerJoin(leads, eq(leads.id, campaignEnrollments.lead_id))
    .leftJoin(
      campaignSteps,
      and(eq(campaignSteps.campaign_id, campaignEnrollments.campaign_id), eq(campaignSteps.step_number, sql`coalesce(${campaignEnrollments.next_step_number}, 0)`)),
    )
    .where(inArray(campaignEnrollments.id, enrollmentIds));
  return new Map(rows.map((row) => [row.enrollment.id, row]));
}

export interface ClaimValues {
  campaignId: number;
  stepId: number;
  stepNumber: number;
  action: CampaignStep["action"];
  enrollmentId: number;
  leadId: number;
}

/**
 * The exactly-once claims, in enrollment order (two claimers insert in the
 * same order, so they wait on each other instead of deadlocking): the new log
 * id of each claim won, by enrollment id. A step already claimed is left out.
 */
export async function claimSteps(q: Executor, claims: ClaimValues[], now: Date): Promise<Map<number, number>> {
  if (claims.length === 0) return new Map();
  const { campaignLogs } = q.t;
  const ordered = [...claims].sort((a, b) => a.enrollmentId - b.enrollmentId);
  const won = await q.db
    .insert(campaignLogs)
    .values(
      ordered.map((claim) => ({
        campaign_id: claim.campaignId,
        step_id: claim.stepId,
        step_number: claim.stepNumber,
        action: claim.action,
        enrollment_id: claim.enrollmentId,
        lead_id: claim.leadId,
        status: "in_flight" as const,
        executed_at: now,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: campaignLogs.id, enrollmentId: campaignLogs.enrollment_id });
  return new Map(won.map((row) => [row.enrollmentId!, row.id]));
}

/** Claimed steps are no longer due (on PostgreSQL the trigger also drops their pending jobs). */
export async function clearNextRuns(q: Executor, enrollmentIds: number[], now: Date): Promise<void> {
  if (enrollmentIds.length === 0) return;
  const { campaignEnrollments } = q.t;
  await q.db.update(campaignEnrollments).set({ next_run_at: null, updated_at: now }).where(inArray(campaignEnrollments.id, enrollmentIds));
}

export async function completeEnrollments(q: Executor, enrollmentIds: number[], now: Date): Promise<void> {
  if (enrollmentIds.length === 0) return;
  const { campaignEnrollments } = q.t;
  await q.db
    .update(campaignEnrollments)
    .set({ status: "completed", next_run_at: null, ended_at: now, updated_at: now })
    .where(and(inArray(campaignEnrollments.id, enrollmentIds), eq(campaignEnrollments.status, "active")));
}

export async function scheduleEnrollments(q: Executor, enrollmentIds: number[], stepNumber: number, nextRunAt: Date, now: Date): Promise<void> {
  if (enrollmentIds.length === 0) return;
  const { campaignEnrollments } = q.t;
  await q.db
    .update(campaignEnrollments)
    .set({ next_step_number: stepNumber, next_run_at: nextRunAt, updated_at: now })
    .where(and(inArray(campaignEnrollments.id, enrollmentIds), eq(campaignEnrollments.status, "active")));
}

export interface OutcomeValues {
  id: number;
  status: string;
  error: string | null;
  detail: Record<string, unknown> | null;
  attempts: number;
  needsReview: boolean;
}

/**
 * Several steps' outcomes in one statement, each as recordOutcome writes one:
 * the detail is merged into what is there (a call's outcome may already be
 * written next to the step). The rows travel as one JSON parameter.
 */
export async function recordOutcomes(q: Executor, outcomes: OutcomeValues[], now: Date): Promise<void> {
  if (outcomes.length === 0) return;
  const rows = JSON.stringify(
    outcomes.map((o) => ({ id: o.id, status: o.status, error: o.error, detail: o.detail, attempts: o.attempts, needs_review: o.needsReview })),
  );
  const finishedAt = timeValue(q, now);
  if (q.dialect === "sqlite") {
    await rawRun(
      q,
      sql`UPDATE campaign_logs SET
            status = v.status, error = v.error,
            detail = CASE WHEN v.detail IS NULL THEN campaign_logs.detail ELSE json_patch(COALESCE(campaign_logs.detail, '{}'), v.detail) END,
            attempts = v.attempts, needs_review = v.needs_review, finished_at = ${finishedAt}
          FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.status') AS status, json_extract(value, '$.error') AS error,
                       json_extract(value, '$.detail') AS detail, json_extract(value, '$.attempts') AS attempts,
                       json_extract(value, '$.needs_review') AS needs_review
                  FROM json_each(${rows})) AS v
          WHERE campaign_logs.id = v.id`,
    );
    return;
  }
  await rawRun(
    q,
    sql`UPDATE campaign_logs AS l SET
          status = v.status, error = v.error,
          detail = CASE WHEN v.detail IS NULL THEN l.detail ELSE COALESCE(l.detail, '{}'::jsonb) || v.detail END,
          attempts = v.attempts, needs_review = v.needs_review, finished_at = ${finishedAt}
        FROM jsonb_to_recordset(${rows}::jsonb) AS v(id integer, status text, error text, detail jsonb, attempts integer, needs_review boolean)
        WHERE l.id = v.id`,
  );
}
