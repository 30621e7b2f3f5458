/**
 * The campaign runner's hot path as prepared statements: each is built and
 * compiled once per process instead of once per step, which is most of the
 * cost of a step when Telegram answers fast (see `npm run bench:campaigns`).
 * They run on the same connection, so inside the caller's transaction.
 */
import { and, asc, desc, eq, gt, ne, sql } from "drizzle-orm";
import type { Db } from "../client";
import { appointments, campaignEnrollments, campaignLogs, campaigns, campaignSteps, leads, messages, messageTemplates } from "../schema";

const p = sql.placeholder;
/** drizzle's update().set() takes no placeholders; a raw one is bound as is, so callers pass driver values (ms, JSON text). */
const raw = (name: string) => sql`${sql.placeholder(name)}`;

export function createStepRunQueries(db: Db) {
  const enrollmentById = db.select().from(campaignEnrollments).where(eq(campaignEnrollments.id, p("id"))).prepare();
  const campaignById = db.select().from(campaigns).where(eq(campaigns.id, p("id"))).prepare();
  const leadById = db.select().from(leads).where(eq(leads.id, p("id"))).prepare();
  const stepByNumber = db
    .select()
    .from(campaignSteps)
    .where(and(eq(campaignSteps.campaign_id, p("campaignId")), eq(campaignSteps.step_number, p("stepNumber"))))
    .prepare();
  const stepAfter = db
    .select()
    .from(campaignSteps)
    .where(and(eq(campaignSteps.campaign_id, p("campaignId")), gt(campaignSteps.step_number, p("stepNumber"))))
    .orderBy(asc(campaignSteps.step_number))
    .limit(1)
    .prepare();
  const insertClaim = db
    .insert(campaignLogs)
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
    .returning({ id: campaignLogs.id })
    .prepare();
  const setNextRun = db
    .update(campaignEnrollments)
    .set({ next_run_at: raw("nextRunAt"), updated_at: raw("now") })
    .where(eq(campaignEnrollments.id, p("id")))
    .prepare();
  const scheduleStep = db
    .update(campaignEnrollments)
    .set({ next_step_number: raw("stepNumber"), next_run_at: raw("nextRunAt"), updated_at: raw("now") })
    .where(and(eq(campaignEnrollments.id, p("id")), eq(campaignEnrollments.status, "active")))
    .prepare();
  const complete = db
    .update(campaignEnrollments)
    .set({ status: "completed", next_run_at: null, ended_at: raw("now"), updated_at: raw("now") })
    .where(and(eq(campaignEnrollments.id, p("id")), eq(campaignEnrollments.status, "active")))
    .prepare();
  const exit = db
    .update(campaignEnrollments)
    .set({ status: "exited", exit_reason: raw("reason"), next_run_at: null, ended_at: raw("now"), updated_at: raw("now") })
    .where(eq(campaignEnrollments.id, p("id")))
    .prepare();
  const recordOutcome = db
    .update(campaignLogs)
    .set({ status: raw("status"), error: raw("error"), detail: raw("detail"), attempts: raw("attempts"), needs_review: raw("needsReview"), finished_at: raw("now") })
    .where(eq(campaignLogs.id, p("id")))
    .prepare();
  // Only a claim still in flight and not yet flagged: a step that finished meanwhile keeps its outcome.
  const flagAbandoned = db
    .update(campaignLogs)
    .set({ needs_review: true, error: raw("error"), finished_at: raw("now") })
    .where(and(eq(campaignLogs.id, p("id")), eq(campaignLogs.status, "in_flight"), eq(campaignLogs.needs_review, false)))
    .prepare();
  const templateById = db
    .select()
    .from(messageTemplates)
    .where(and(eq(messageTemplates.id, p("id")), sql`${messageTemplates.deleted_at} IS NULL`))
    .prepare();
  const upcomingAppointment = db
    .select()
    .from(appointments)
    // A placeholder in a comparison is bound as is: `now` is passed in ms.
    .where(and(eq(appointments.lead_id, p("leadId")), eq(appointments.status, "scheduled"), gt(appointments.ends_at, p("now"))))
    .orderBy(asc(appointments.starts_at))
    .limit(1)
    .prepare();
  const latestAppointment = db
    .select()
    .from(appointments)
    .where(and(eq(appointments.lead_id, p("leadId")), ne(appointments.status, "cancelled")))
    .orderBy(desc(appointments.starts_at))
    .limit(1)
    .prepare();
  const insertMessage = db
    .insert(messages)
    .values({
      lead_id: p("leadId"),
      direction: "outbound",
      channel: p("channel"),
      agent_type: p("agentType"),
      text: p("text"),
      external_id: p("externalId"),
      at: p("at"),
    })
    .prepare();

  return {
    enrollment: (id: number) => enrollmentById.get({ id }),
    campaign: (id: number) => campaignById.get({ id }),
    lead: (id: number) => leadById.get({ id }),
    step: (campaignId: number, stepNumber: number) => stepByNumber.get({ campaignId, stepNumber }),
    stepAfter: (campaignId: number, stepNumber: number) => stepAfter.get({ campaignId, stepNumber }),
    /** The exactly-once claim: returns the new log id, or undefined when the step was already claimed. */
    claim: (values: { campaignId: number; stepId: number; stepNumber: number; action: string; enrollmentId: number; leadId: number; now: Date }) =>
      insertClaim.get(values),
    setNextRun: (id: number, nextRunAt: Date | null, now: Date) =>
      setNextRun.run({ id, nextRunAt: nextRunAt?.getTime() ?? null, now: now.getTime() }),
    scheduleStep: (id: number, stepNumber: number, nextRunAt: Date, now: Date) =>
      scheduleStep.run({ id, stepNumber, nextRunAt: nextRunAt.getTime(), now: now.getTime() }),
    complete: (id: number, now: Date) => complete.run({ id, now: now.getTime() }),
    exit: (id: number, reason: string, now: Date) => exit.run({ id, reason, now: now.getTime() }),
    /** `needsReview`: the step may or may not have acted (its status stays in_flight); a person checks, nothing redoes it. */
    recordOutcome: (values: { id: number; status: string; error: string | null; detail: Record<string, unknown> | null; attempts: number; needsReview: boolean; now: Date }) =>
      recordOutcome.run({
        ...values,
        detail: values.detail === null ? null : JSON.stringify(values.detail),
        needsReview: values.needsReview ? 1 : 0,
        now: values.now.getTime(),
      }),
    /** Flags a claim whose process died mid-step; false when it was no longer in flight or already flagged. */
    flagAbandoned: (id: number, error: string, now: Date) => flagAbandoned.run({ id, error, now: now.getTime() }).changes > 0,
    template: (id: number) => templateById.get({ id }),
    /** As findCurrentAppointment: the next scheduled one, else the latest not cancelled. */
    currentAppointment: (leadId: number, now: Date) =>
      upcomingAppointment.get({ leadId, now: now.getTime() }) ?? latestAppointment.get({ leadId }) ?? null,
    insertOutboundMessage: (values: { leadId: number; channel: string; agentType: string | null; text: string; externalId: string; at: Date }) =>
      insertMessage.run(values),
  };
}

export type StepRunQueries = ReturnType<typeof createStepRunQueries>;
