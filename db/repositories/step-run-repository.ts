/**
 * The campaign runner's hot path as reusable queries (db/prepared.ts): each is
 * built once per database instead of once per step, which is most of the cost
 * of a step when Telegram answers fast (see `npm run bench:campaigns`). They
 * run on the executor they are given, so inside the caller's transaction.
 */
import { and, asc, desc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Appointment, CampaignEnrollment, CampaignStep, Message } from "../schema";
import type { Executor } from "../executor";
import { first, inOneStatement, reusableQuery, timeValue, unmappedPlaceholder } from "../prepared";

const p = sql.placeholder;

const enrollmentById = reusableQuery<CampaignEnrollment>("step_enrollment", (q) =>
  q.db.select().from(q.t.campaignEnrollments).where(eq(q.t.campaignEnrollments.id, p("id"))),
);
const stepAfterNumber = reusableQuery<CampaignStep>("step_after", (q) => {
  const { campaignSteps } = q.t;
  return q.db
    .select()
    .from(campaignSteps)
    .where(and(eq(campaignSteps.campaign_id, p("campaignId")), gt(campaignSteps.step_number, p("stepNumber"))))
    .orderBy(asc(campaignSteps.step_number))
    .limit(1);
});
const setNextRunQuery = reusableQuery<never>("step_set_next_run", (q) => {
  const { campaignEnrollments } = q.t;
  return q.db
    .update(campaignEnrollments)
    .set({ next_run_at: unmappedPlaceholder("nextRunAt"), updated_at: unmappedPlaceholder("now") })
    .where(eq(campaignEnrollments.id, p("id")));
});
const exitQuery = reusableQuery<never>("step_exit", (q) => {
  const { campaignEnrollments } = q.t;
  return q.db
    .update(campaignEnrollments)
    .set({ status: "exited", exit_reason: unmappedPlaceholder("reason"), next_run_at: null, ended_at: unmappedPlaceholder("now"), updated_at: unmappedPlaceholder("now") })
    .where(eq(campaignEnrollments.id, p("id")));
});
// Only a claim still in flight and not yet flagged: a step that finished meanwhile keeps its outcome.
const flagAbandonedQuery = reusableQuery<{ id: number }>("step_flag_abandoned", (q) => {
  const { campaignLogs } = q.t;
  return q.db
    .update(campaignLogs)
    .set({ needs_review: true, error: unmappedPlaceholder("error"), finished_at: unmappedPlaceholder("now") })
    .where(and(eq(campaignLogs.id, p("id")), eq(campaignLogs.status, "in_flight"), eq(campaignLogs.needs_review, false)))
    .returning({ id: campaignLogs.id });
});
const upcomingAppointment = reusableQuery<Appointment>("step_upcoming_appointment", (q) => {
  const { appointments } = q.t;
  return (
    q.db
      .select()
      .from(appointments)
      // A placeholder in a comparison is bound as is: `now` is passed as timeValue.
      .where(and(eq(appointments.lead_id, p("leadId")), eq(appointments.status, "scheduled"), gt(appointments.ends_at, p("now"))))
      .orderBy(asc(appointments.starts_at))
      .limit(1)
  );
});
const latestAppointment = reusableQuery<Appointment>("step_latest_appointment", (q) => {
  const { appointments } = q.t;
  return q.db
    .select()
    .from(appointments)
    .where(and(eq(appointments.lead_id, p("leadId")), ne(appointments.status, "cancelled")))
    .orderBy(desc(appointments.starts_at))
    .limit(1);
});
const insertMessageQuery = reusableQuery<never>("step_insert_message", (q) =>
  q.db.insert(q.t.messages).values({
    lead_id: p("leadId"),
    direction: "outbound",
    channel: p("channel"),
    agent_type: p("agentType"),
    text: p("text"),
    external_id: p("externalId"),
    at: p("at"),
  }),
);

export const enrollment = async (q: Executor, id: number) => first(await enrollmentById(q, { id }));
export const stepAfter = async (q: Executor, campaignId: number, stepNumber: number) => first(await stepAfterNumber(q, { campaignId, stepNumber }));

export async function setNextRun(q: Executor, id: number, nextRunAt: Date | null, now: Date): Promise<void> {
  await setNextRunQuery(q, { id, nextRunAt: nextRunAt === null ? null : timeValue(q, nextRunAt), now: timeValue(q, now) });
}

export async function exit(q: Executor, id: number, reason: string, now: Date): Promise<void> {
  await exitQuery(q, { id, reason, now: timeValue(q, now) });
}

/** Flags a claim whose process died mid-step; false when it was no longer in flight or already flagged. */
export async function flagAbandoned(q: Executor, id: number, error: string, now: Date): Promise<boolean> {
  return (await flagAbandonedQuery(q, { id, error, now: timeValue(q, now) })).length > 0;
}

/** As findCurrentAppointment: the next scheduled one, else the latest not cancelled. */
export async function currentAppointment(q: Executor, leadId: number, now: Date): Promise<Appointment | null> {
  return first(await upcomingAppointment(q, { leadId, now: timeValue(q, now) })) ?? first(await latestAppointment(q, { leadId })) ?? null;
}

/** A message a step sent, as the conversation keeps it. */
export interface OutboundMessage {
  leadId: number;
  channel: Message["channel"];
  agentType: Message["agent_type"];
  text: string;
  externalId: string;
  at: Date;
}

export async function insertOutboundMessage(q: Executor, values: OutboundMessage): Promise<void> {
  await insertMessageQuery(q, { ...values });
}

/** Several sent messages (see inOneStatement). */
export async function insertOutboundMessages(q: Executor, messages: readonly OutboundMessage[]): Promise<void> {
  if (!inOneStatement(q, messages)) {
    for (const message of messages) await insertOutboundMessage(q, message);
    return;
  }
  await q.db.insert(q.t.messages).values(
    messages.map((message) => ({
      lead_id: message.leadId,
      direction: "outbound" as const,
      channel: message.channel,
      agent_type: message.agentType,
      text: message.text,
      external_id: message.externalId,
      at: message.at,
    })),
  );
}
