/**
 * Totals for the Prometheus metrics (src/observability/metrics.ts), read at
 * scrape time with one GROUP BY each. Written once for SQLite and PostgreSQL
 * (db/database.ts: awaited builders; `count()` answers a number on both).
 */
import { count } from "drizzle-orm";
import type { Executor } from "../executor";

/** Messages stored, by direction and channel. */
export async function countMessagesByDirectionAndChannel(q: Executor): Promise<{ direction: string; channel: string; n: number }[]> {
  const { messages } = q.t;
  return q.db
    .select({ direction: messages.direction, channel: messages.channel, n: count() })
    .from(messages)
    .groupBy(messages.direction, messages.channel);
}

/** Campaign step executions, by action and outcome. */
export async function countCampaignStepsByActionAndStatus(q: Executor): Promise<{ action: string; status: string; n: number }[]> {
  const { campaignLogs } = q.t;
  return q.db
    .select({ action: campaignLogs.action, status: campaignLogs.status, n: count() })
    .from(campaignLogs)
    .groupBy(campaignLogs.action, campaignLogs.status);
}

/** Voice calls, by status. */
export async function countCallsByStatus(q: Executor): Promise<{ status: string; n: number }[]> {
  const { voiceCalls } = q.t;
  return q.db.select({ status: voiceCalls.status, n: count() }).from(voiceCalls).groupBy(voiceCalls.status);
}

/** Leads per pipeline stage. */
export async function countLeadsByStage(q: Executor): Promise<{ stage: string; n: number }[]> {
  const { leads } = q.t;
  return q.db.select({ stage: leads.pipeline_stage, n: count() }).from(leads).groupBy(leads.pipeline_stage);
}
