/**
 * The campaign runner's writes for several steps at once (src/campaigns/step-runner.ts
 * runs due steps in groups): one statement for a group's claim contexts, one
 * for its claims, one to clear their next runs, one for their outcomes. On
 * PostgreSQL every statement is a round trip, and a welcome campaign over
 * thousands of waiting leads made about a dozen per step, one step at a time.
 * The exactly-once rule is the same as one by one: the unique
 * (enrollment, step) index lets one claimer win each step.
 *
 * A group's ids and rows travel as one JSON parameter, so each statement has
 * one fixed text whatever the group's size, built once (db/prepared.ts):
 * building drizzle queries for every group cost more than the statements
 * themselves on SQLite (bench:campaigns, 1,400 → 890 messages/s). On SQLite
 * the claims and outcomes go one prepared statement per row instead.
 */
import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { Campaign, CampaignEnrollment, CampaignStep, Lead, MessageTemplate } from "../schema";
import type { Executor } from "../executor";
import { rawRows, rawRun, reusableQuery, timeValue, unmappedPlaceholder } from "../prepared";


/** `column` is one of the ids in the JSON array bound to the placeholder `ids`. */
function inIds(q: Executor, column: SQL | { getSQL(): SQL }): SQL {
  return q.dialect === "sqlite"
    ? sql`${column} IN (SELECT value FROM json_each(${sql.placeholder("ids")}))`
    : sql`${column} IN (SELECT jsonb_array_elements_text(${sql.placeholder("ids")}::jsonb)::integer)`;
}

export interface ClaimContext {
  enrollment: CampaignEnrollment;
  campaign: Campaign;
  lead: Lead;
  step: CampaignStep | null;
  /** The step's message template; null when it has none, or it was deleted. */
  template: MessageTemplate | null;
}

const claimContextsQuery = reusableQuery<ClaimContext>("step_claim_contexts", (q) => {
  const { campaignEnrollments, campaigns, leads, campaignSteps, messageTemplates } = q.t;
  return q.db
    .select({ enrollment: campaignEnrollments, campaign: campaigns, lead: leads, step: campaignSteps, template: messageTemplates })
    .from(campaignEnrollments)
    .innerJoin(campaigns, eq(campaigns.id, campaignEnrollments.campaign_id))
    .innerJoin(leads, eq(leads.id, campaignEnrollments.lead_id))
    .leftJoin(
      campaignSteps,
      and(eq(campaignSteps.campaign_id, campaignEnrollments.campaign_id), eq(campaignSteps.step_number, sql`coalesce(${campaignEnrollments.next_step_number}, 0)`)),
    )
    .leftJoin(messageTemplates, and(eq(messageTemplates.id, campaignSteps.message_template_id), isNull(messageTemplates.deleted_at)))
    .where(inIds(q, campaignEnrollments.id));
});

/**
 * What a claim checks, for several enrollments in one read: each with its campaign, its lead,
 * the step it is due for (null when the campaign has no such step) and that step's template
 * (read here, not once per message as each step acts), by enrollment id; an
 * enrollment whose campaign or lead is gone is left out.
 */
export async function claimContexts(q: Executor, enrollmentIds: number[]): Promise<Map<number, ClaimContext>> {
  const rows = await claimContextsQuery(q, { ids: JSON.stringify(enrollmentIds) });
  return new Map(rows.map((row) => [row.enrollment.id, row]));
}

// On SQLite a statement costs no round trip: a group's rows go one prepared statement each, in the
// group's one transaction, which took less CPU than one statement over JSON rows (bench:campaigns).
const claimOneQuery = reusableQuery<{ id: number }>("step_claim_one", (q) => {
  const p = sql.placeholder;
  return q.db
    .insert(q.t.campaignLogs)
    .values({
      campaign_id: p("campaignId"),
      step_id: p("stepId"),
      step_number: p("stepNumber"),
      action: p("action"),
      enrollment_id: p("enrollmentId"),
      lead_id: p("leadId"),
      status: "in_flight",
      executed_at: p("now"),
    })
    .onConflictDoNothing()
    .returning({ id: q.t.campaignLogs.id });
});
const recordOneQuery = reusableQuery<never>("step_record_one", (q) =>
  q.db
    .update(q.t.campaignLogs)
    .set({
      status: unmappedPlaceholder("status"),
      error: unmappedPlaceholder("error"),
      detail: sql`CASE WHEN ${sql.placeholder("detail")} IS NULL THEN detail ELSE json_patch(COALESCE(detail, '{}'), ${sql.placeholder("detail")}) END`,
      attempts: unmappedPlaceholder("attempts"),
      needs_review: unmappedPlaceholder("needsReview"),
      finished_at: unmappedPlaceholder("now"),
    })
    .where(eq(q.t.campaignLogs.id, sql.placeholder("id"))),
);

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
  const ordered = [...claims].sort((a, b) => a.enrollmentId - b.enrollmentId);
  const at = timeValue(q, now);
  if (q.dialect === "sqlite") {
    const won = new Map<number, number>();
    for (const claim of ordered) {
      const [row] = await claimOneQuery(q, { ...claim, now });
      if (row) won.set(claim.enrollmentId, row.id);
    }
    return won;
  }
  const rows = JSON.stringify(ordered);
  const won = await rawRows<{ id: number; enrollment_id: number }>(
    q,
    sql`INSERT INTO campaign_logs (campaign_id, step_id, step_number, action, enrollment_id, lead_id, status, executed_at)
        SELECT v."campaignId", v."stepId", v."stepNumber", v.action, v."enrollmentId", v."leadId", 'in_flight', ${at}
          FROM jsonb_to_recordset(${rows}::jsonb) AS v("campaignId" integer, "stepId" integer, "stepNumber" integer, action text, "enrollmentId" integer, "leadId" integer)
         ORDER BY v."enrollmentId"
        ON CONFLICT DO NOTHING RETURNING id, enrollment_id`,
  );
  return new Map(won.map((row) => [Number(row.enrollment_id), Number(row.id)]));
}

const clearNextRunsQuery = reusableQuery<never>("step_clear_next_runs", (q) =>
  q.db
    .update(q.t.campaignEnrollments)
    .set({ next_run_at: null, updated_at: unmappedPlaceholder("now") })
    .where(inIds(q, q.t.campaignEnrollments.id)),
);
/** Claimed steps are no longer due (on PostgreSQL the trigger also drops their pending jobs). */
export async function clearNextRuns(q: Executor, enrollmentIds: number[], now: Date): Promise<void> {
  if (enrollmentIds.length === 0) return;
  await clearNextRunsQuery(q, { ids: JSON.stringify(enrollmentIds), now: timeValue(q, now) });
}

const completeQuery = reusableQuery<never>("step_complete_many", (q) => {
  const { campaignEnrollments } = q.t;
  return q.db
    .update(campaignEnrollments)
    .set({ status: "completed", next_run_at: null, ended_at: unmappedPlaceholder("now"), updated_at: unmappedPlaceholder("now") })
    .where(and(inIds(q, campaignEnrollments.id), eq(campaignEnrollments.status, "active")));
});
export async function completeEnrollments(q: Executor, enrollmentIds: number[], now: Date): Promise<void> {
  if (enrollmentIds.length === 0) return;
  await completeQuery(q, { ids: JSON.stringify(enrollmentIds), now: timeValue(q, now) });
}

const scheduleQuery = reusableQuery<never>("step_schedule_many", (q) => {
  const { campaignEnrollments } = q.t;
  return q.db
    .update(campaignEnrollments)
    .set({ next_step_number: unmappedPlaceholder("stepNumber"), next_run_at: unmappedPlaceholder("nextRunAt"), updated_at: unmappedPlaceholder("now") })
    .where(and(inIds(q, campaignEnrollments.id), eq(campaignEnrollments.status, "active")));
});
export async function scheduleEnrollments(q: Executor, enrollmentIds: number[], stepNumber: number, nextRunAt: Date, now: Date): Promise<void> {
  if (enrollmentIds.length === 0) return;
  await scheduleQuery(q, { ids: JSON.stringify(enrollmentIds), stepNumber, nextRunAt: timeValue(q, nextRunAt), now: timeValue(q, now) });
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
  const finishedAt = timeValue(q, now);
  if (q.dialect === "sqlite") {
    for (const o of outcomes) {
      await recordOneQuery(q, {
        id: o.id,
        status: o.status,
        error: o.error,
        detail: o.detail === null ? null : JSON.stringify(o.detail),
        attempts: o.attempts,
        needsReview: o.needsReview ? 1 : 0,
        now: finishedAt,
      });
    }
    return;
  }
  const rows = JSON.stringify(
    outcomes.map((o) => ({ id: o.id, status: o.status, error: o.error, detail: o.detail, attempts: o.attempts, needs_review: o.needsReview })),
  );
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
