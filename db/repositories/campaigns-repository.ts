import { and, asc, count, countDistinct, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { campaignEnrollments, campaignLogs, campaigns, campaignSteps, type Campaign, type CampaignStep } from "../schema";
import type { Executor } from "../executor";
import { reusableQuery } from "../prepared";

type NewCampaign = typeof campaigns.$inferInsert;
type NewStep = typeof campaignSteps.$inferInsert;

export function insertCampaign(db: Executor, values: NewCampaign): Campaign {
  return db.insert(campaigns).values(values).returning().get();
}

export function findCampaign(db: Executor, id: number): Campaign | undefined {
  return db.select().from(campaigns).where(eq(campaigns.id, id)).get();
}

export function listCampaigns(db: Executor): Campaign[] {
  return db.select().from(campaigns).orderBy(asc(campaigns.id)).all();
}

export function updateCampaignRow(db: Executor, id: number, values: Partial<NewCampaign>): Campaign {
  return db.update(campaigns).set(values).where(eq(campaigns.id, id)).returning().get()!;
}

export function listSteps(db: Executor, campaignId: number): CampaignStep[] {
  return db.select().from(campaignSteps).where(eq(campaignSteps.campaign_id, campaignId)).orderBy(asc(campaignSteps.step_number)).all();
}

export function insertStep(db: Executor, values: NewStep): CampaignStep {
  return db.insert(campaignSteps).values(values).returning().get();
}

export interface LogFilter {
  lead_id?: number | undefined;
  status?: (typeof campaignLogs.$inferSelect)["status"] | undefined;
  needs_review?: boolean | undefined;
  skip: number;
  limit: number;
}

export function listLogs(db: Executor, campaignId: number, filter: LogFilter) {
  const conditions: SQL[] = [eq(campaignLogs.campaign_id, campaignId)];
  if (filter.lead_id !== undefined) conditions.push(eq(campaignLogs.lead_id, filter.lead_id));
  if (filter.status !== undefined) conditions.push(eq(campaignLogs.status, filter.status));
  if (filter.needs_review !== undefined) conditions.push(eq(campaignLogs.needs_review, filter.needs_review));
  const where = and(...conditions);
  const items = db
    .select()
    .from(campaignLogs)
    .where(where)
    .orderBy(desc(campaignLogs.executed_at), desc(campaignLogs.id))
    .limit(filter.limit)
    .offset(filter.skip)
    .all();
  const total = db.select({ n: count() }).from(campaignLogs).where(where).get()?.n ?? 0;
  return { items, total };
}

/** Log counts per step, status and review flag, for the stats endpoint. */
export function countLogsByStepAndStatus(db: Executor, campaignId: number) {
  return db
    .select({
      step_number: campaignLogs.step_number,
      action: campaignLogs.action,
      status: campaignLogs.status,
      needs_review: campaignLogs.needs_review,
      n: count(),
    })
    .from(campaignLogs)
    .where(eq(campaignLogs.campaign_id, campaignId))
    .groupBy(campaignLogs.step_number, campaignLogs.action, campaignLogs.status, campaignLogs.needs_review)
    .all();
}

/** Leads a step of this campaign actually reached: a message sent or a call placed. */
export function countLeadsContacted(db: Executor, campaignId: number): number {
  return (
    db
      .select({ n: countDistinct(campaignLogs.lead_id) })
      .from(campaignLogs)
      .where(
        and(
          eq(campaignLogs.campaign_id, campaignId),
          eq(campaignLogs.status, "success"),
          inArray(campaignLogs.action, ["send_message", "start_call"]),
        ),
      )
      .get()?.n ?? 0
  );
}

export function countEnrollmentsByStatus(db: Executor, campaignId: number) {
  return db
    .select({ status: campaignEnrollments.status, n: count() })
    .from(campaignEnrollments)
    .where(eq(campaignEnrollments.campaign_id, campaignId))
    .groupBy(campaignEnrollments.status)
    .all();
}

/** Step numbers already taken in a campaign, to refuse a duplicate before the unique index does. */
export function stepNumberTaken(db: Executor, campaignId: number, stepNumber: number): boolean {
  return (
    db
      .select({ n: sql<number>`1` })
      .from(campaignSteps)
      .where(and(eq(campaignSteps.campaign_id, campaignId), eq(campaignSteps.step_number, stepNumber)))
      .get() !== undefined
  );
}

export function listActiveCampaigns(db: Executor): Campaign[] {
  return db.select().from(campaigns).where(eq(campaigns.status, "active")).orderBy(asc(campaigns.id)).all();
}

/** Active campaigns that fire when a lead enters `stage`. */
// Every stage move asks this: built once.
const activeStageCampaigns = reusableQuery((db) =>
  db
    .select()
    .from(campaigns)
    .where(
      and(
        eq(campaigns.status, "active"),
        eq(campaigns.triggered_by, "stage_change"),
        sql`json_extract(${campaigns.trigger_condition}, '$.stage') = ${sql.placeholder("stage")}`,
      ),
    )
    .prepare(),
);
export function listActiveStageCampaigns(db: Executor, stage: string): Campaign[] {
  return activeStageCampaigns(db).all({ stage });
}

export function findFirstStep(db: Executor, campaignId: number): CampaignStep | undefined {
  return db.select().from(campaignSteps).where(eq(campaignSteps.campaign_id, campaignId)).orderBy(asc(campaignSteps.step_number)).get();
}

/**
 * Delivery of the messages a campaign sent, by the provider's latest report
 * (WhatsApp's status callbacks; Telegram reports none, so its messages count as sent).
 * The step's log names its message (message_sid on WhatsApp, message_id on Telegram).
 */
export function countDeliveriesByStatus(db: Executor, campaignId: number): { status: string; n: number }[] {
  return db.all<{ status: string; n: number }>(sql`
    SELECT COALESCE(m.status, 'sent') AS status, COUNT(*) AS n
    FROM campaign_logs l
    JOIN campaigns c ON c.id = l.campaign_id
    JOIN messages m ON m.channel = c.channel AND m.lead_id = l.lead_id
      AND m.external_id = COALESCE(json_extract(l.detail, '$.message_sid'), CAST(json_extract(l.detail, '$.message_id') AS TEXT))
    WHERE l.campaign_id = ${campaignId} AND l.action = 'send_message' AND l.status = 'success'
    GROUP BY 1`);
}

/** A provider's late verdict on a message a campaign step sent (e.g. WhatsApp's 63016), next to the step's outcome. */
export function recordCampaignDeliveryFailure(db: Executor, messageSid: string, failure: { status: string; error_code: string | null }): void {
  db.run(sql`UPDATE campaign_logs SET detail = json_set(COALESCE(detail, '{}'), '$.delivery', json(${JSON.stringify(failure)}))
              WHERE action = 'send_message' AND json_extract(detail, '$.message_sid') = ${messageSid}`);
}
