import { and, asc, count, countDistinct, desc, eq, gte, inArray, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Campaign, CampaignStep, campaignLogs, campaigns, campaignSteps } from "../schema";
import type { Executor } from "../executor";
import { lockedForChange } from "../row-locks";
import { first, jsonText, rawRows, rawRun, reusableQuery, withJsonKey } from "../prepared";

type NewCampaign = typeof campaigns.$inferInsert;
type NewStep = typeof campaignSteps.$inferInsert;

export async function insertCampaign(q: Executor, values: NewCampaign): Promise<Campaign> {
  return first(await q.db.insert(q.t.campaigns).values(values).returning())!;
}

export async function findCampaign(q: Executor, id: number): Promise<Campaign | undefined> {
  const { campaigns } = q.t;
  return first(await q.db.select().from(campaigns).where(eq(campaigns.id, id)));
}

/** The campaign, read inside the transaction that will change it or its steps: no other such change runs until that one ends (db/row-locks.ts). */
export async function findCampaignToChange(tx: Executor, id: number): Promise<Campaign | undefined> {
  const { campaigns } = tx.t;
  return first(await lockedForChange(tx, tx.db.select().from(campaigns).where(eq(campaigns.id, id)), campaigns));
}

export async function listCampaigns(q: Executor): Promise<Campaign[]> {
  const { campaigns } = q.t;
  return q.db.select().from(campaigns).orderBy(asc(campaigns.id));
}

export async function updateCampaignRow(q: Executor, id: number, values: Partial<NewCampaign>): Promise<Campaign> {
  const { campaigns } = q.t;
  return first(await q.db.update(campaigns).set(values).where(eq(campaigns.id, id)).returning())!;
}

export async function listSteps(q: Executor, campaignId: number): Promise<CampaignStep[]> {
  const { campaignSteps } = q.t;
  return q.db.select().from(campaignSteps).where(eq(campaignSteps.campaign_id, campaignId)).orderBy(asc(campaignSteps.step_number));
}

export async function insertStep(q: Executor, values: NewStep): Promise<CampaignStep> {
  return first(await q.db.insert(q.t.campaignSteps).values(values).returning())!;
}

export interface LogFilter {
  lead_id?: number | undefined;
  status?: (typeof campaignLogs.$inferSelect)["status"] | undefined;
  needs_review?: boolean | undefined;
  skip: number;
  limit: number;
}

export async function listLogs(q: Executor, campaignId: number, filter: LogFilter) {
  const { campaignLogs } = q.t;
  const conditions: SQL[] = [eq(campaignLogs.campaign_id, campaignId)];
  if (filter.lead_id !== undefined) conditions.push(eq(campaignLogs.lead_id, filter.lead_id));
  if (filter.status !== undefined) conditions.push(eq(campaignLogs.status, filter.status));
  if (filter.needs_review !== undefined) conditions.push(eq(campaignLogs.needs_review, filter.needs_review));
  const where = and(...conditions);
  const items = await q.db
    .select()
    .from(campaignLogs)
    .where(where)
    .orderBy(desc(campaignLogs.executed_at), desc(campaignLogs.id))
    .limit(filter.limit)
    .offset(filter.skip);
  const total = first(await q.db.select({ n: count() }).from(campaignLogs).where(where))?.n ?? 0;
  return { items, total };
}

/** Log counts per step, status and review flag, for the stats endpoint. */
export async function countLogsByStepAndStatus(q: Executor, campaignId: number) {
  const { campaignLogs } = q.t;
  return q.db
    .select({
      step_number: campaignLogs.step_number,
      action: campaignLogs.action,
      status: campaignLogs.status,
      needs_review: campaignLogs.needs_review,
      n: count(),
    })
    .from(campaignLogs)
    .where(eq(campaignLogs.campaign_id, campaignId))
    .groupBy(campaignLogs.step_number, campaignLogs.action, campaignLogs.status, campaignLogs.needs_review);
}

/** Leads a step of this campaign actually reached: a message sent or a call placed. */
export async function countLeadsContacted(q: Executor, campaignId: number): Promise<number> {
  const { campaignLogs } = q.t;
  const row = first(
    await q.db
      .select({ n: countDistinct(campaignLogs.lead_id) })
      .from(campaignLogs)
      .where(
        and(
          eq(campaignLogs.campaign_id, campaignId),
          eq(campaignLogs.status, "success"),
          inArray(campaignLogs.action, ["send_message", "start_call"]),
        ),
      ),
  );
  return row?.n ?? 0;
}

export async function countEnrollmentsByStatus(q: Executor, campaignId: number) {
  const { campaignEnrollments } = q.t;
  return q.db
    .select({ status: campaignEnrollments.status, n: count() })
    .from(campaignEnrollments)
    .where(eq(campaignEnrollments.campaign_id, campaignId))
    .groupBy(campaignEnrollments.status);
}

/** Step numbers already taken in a campaign, to refuse a duplicate before the unique index does. */
export async function stepNumberTaken(q: Executor, campaignId: number, stepNumber: number): Promise<boolean> {
  const { campaignSteps } = q.t;
  const rows = await q.db
    .select({ id: campaignSteps.id })
    .from(campaignSteps)
    .where(and(eq(campaignSteps.campaign_id, campaignId), eq(campaignSteps.step_number, stepNumber)))
    .limit(1);
  return rows.length > 0;
}

export async function listActiveCampaigns(q: Executor): Promise<Campaign[]> {
  const { campaigns } = q.t;
  return q.db.select().from(campaigns).where(eq(campaigns.status, "active")).orderBy(asc(campaigns.id));
}

/** Active campaigns that fire when a lead enters `stage`. */
// Every stage move asks this: built once.
const activeStageCampaigns = reusableQuery<Campaign>("active_stage_campaigns", (q) =>
  q.db.select().from(q.t.campaigns).where(firesOnEntering(q, sql.placeholder("stage"))),
);
export async function listActiveStageCampaigns(q: Executor, stage: string): Promise<Campaign[]> {
  return activeStageCampaigns(q, { stage });
}

/** An active campaign that fires when a lead enters `stage` (a placeholder, or the stage column of the lead a statement moves). */
function firesOnEntering(q: Executor, stage: SQLWrapper): SQL {
  const { campaigns } = q.t;
  return and(eq(campaigns.status, "active"), eq(campaigns.triggered_by, "stage_change"), sql`${jsonText(q, campaigns.trigger_condition, "stage")} = ${stage}`)!;
}

/** Whether any active campaign fires on entering `stage`, as an expression of the statement it goes in. */
export function anyCampaignFiresOnEntering(q: Executor, stage: SQLWrapper): SQL<boolean> {
  return sql<boolean>`EXISTS (${q.db.select({ one: sql`1` }).from(q.t.campaigns).where(firesOnEntering(q, stage))})`;
}

export async function findFirstStep(q: Executor, campaignId: number): Promise<CampaignStep | undefined> {
  const { campaignSteps } = q.t;
  return first(
    await q.db.select().from(campaignSteps).where(eq(campaignSteps.campaign_id, campaignId)).orderBy(asc(campaignSteps.step_number)).limit(1),
  );
}

/**
 * Delivery of the messages a campaign sent, by the provider's latest report
 * (WhatsApp's status callbacks; Telegram reports none, so its messages count as sent).
 * The step's log names its message (message_sid on WhatsApp, message_id on Telegram).
 */
export async function countDeliveriesByStatus(q: Executor, campaignId: number): Promise<{ status: string; n: number }[]> {
  const detail = sql.raw("l.detail");
  const messageId = q.dialect === "sqlite" ? sql`CAST(${jsonText(q, detail, "message_id")} AS TEXT)` : jsonText(q, detail, "message_id");
  const rows = await rawRows<{ status: string; n: number | string }>(
    q,
    sql`
    SELECT COALESCE(m.status, 'sent') AS status, COUNT(*) AS n
    FROM campaign_logs l
    JOIN campaigns c ON c.id = l.campaign_id
    JOIN messages m ON m.channel = c.channel AND m.lead_id = l.lead_id
      AND m.external_id = COALESCE(${jsonText(q, detail, "message_sid")}, ${messageId})
    WHERE l.campaign_id = ${campaignId} AND l.action = 'send_message' AND l.status = 'success'
    GROUP BY 1`,
  );
  // PostgreSQL counts in bigint, which node-postgres answers as text.
  return rows.map((row) => ({ status: row.status, n: Number(row.n) }));
}

/**
 * A provider's late verdict on a message a campaign step sent (e.g. WhatsApp's 63016), next to the step's outcome.
 * The message's lead narrows the search to that lead's steps (campaign_logs_lead_idx): the sid is inside
 * the JSON detail, which no index covers, and scanning every step of every campaign per failed message
 * grew with the table.
 */
export async function recordCampaignDeliveryFailure(
  q: Executor,
  leadId: number,
  messageSid: string,
  failure: { status: string; error_code: string | null },
): Promise<void> {
  await rawRun(
    q,
    sql`UPDATE campaign_logs SET detail = ${withJsonKey(q, "detail", "delivery", failure)}
    WHERE lead_id = ${leadId} AND action = 'send_message' AND ${jsonText(q, sql.raw("detail"), "message_sid")} = ${messageSid}`,
  );
}

export async function findStep(q: Executor, campaignId: number, stepId: number): Promise<CampaignStep | undefined> {
  const { campaignSteps } = q.t;
  return first(await q.db.select().from(campaignSteps).where(and(eq(campaignSteps.campaign_id, campaignId), eq(campaignSteps.id, stepId))));
}

export async function updateStepRow(q: Executor, stepId: number, values: Partial<NewStep>): Promise<CampaignStep> {
  const { campaignSteps } = q.t;
  return first(await q.db.update(campaignSteps).set(values).where(eq(campaignSteps.id, stepId)).returning())!;
}

/** Its logs keep their step number (step_id becomes null); enrollments waiting on it go on to the next step. */
export async function deleteStepRow(q: Executor, stepId: number): Promise<void> {
  const { campaignSteps } = q.t;
  await q.db.delete(campaignSteps).where(eq(campaignSteps.id, stepId));
}

/** When this campaign's steps that acted (succeeded or failed) were claimed, from `since` on: the chart over time. */
export async function listCampaignLogTimes(q: Executor, campaignId: number, since: Date) {
  const { campaignLogs } = q.t;
  return q.db
    .select({ executed_at: campaignLogs.executed_at, status: campaignLogs.status })
    .from(campaignLogs)
    .where(and(eq(campaignLogs.campaign_id, campaignId), gte(campaignLogs.executed_at, since), inArray(campaignLogs.status, ["success", "failed"])));
}

/**
 * Per campaign: its steps, enrollments and steps that acted, for the dashboard's list. Three GROUP BYs
 * over the whole tables; enrollments are counted on their (campaign_id, …) unique index alone.
 */
export async function countCampaignFigures(q: Executor) {
  const { campaignSteps, campaignEnrollments, campaignLogs } = q.t;
  const [steps, enrollments, executed] = [
    await q.db.select({ id: campaignSteps.campaign_id, n: count() }).from(campaignSteps).groupBy(campaignSteps.campaign_id),
    await q.db.select({ id: campaignEnrollments.campaign_id, n: count() }).from(campaignEnrollments).groupBy(campaignEnrollments.campaign_id),
    await q.db
      .select({ id: campaignLogs.campaign_id, n: count() })
      .from(campaignLogs)
      .where(inArray(campaignLogs.status, ["success", "failed"]))
      .groupBy(campaignLogs.campaign_id),
  ];
  return { steps, enrollments, executed };
}
