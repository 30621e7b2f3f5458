/**
 * How many leads each stage holds, read from migrations-pg 0009's tallies on
 * PostgreSQL (counting a stage's leads there walks its whole index) and counted
 * directly on SQLite, whose index count costs a fraction of a millisecond in
 * the process.
 */
import { count, eq, sql } from "drizzle-orm";
import type { Executor } from "../executor";
import { rawRows, rawRun } from "../prepared";
import type { PipelineStage } from "../../src/domain/vocabulary";

export async function countLeadsInStage(q: Executor, stage: PipelineStage): Promise<number> {
  if (q.dialect === "postgres") {
    const [tally] = await rawRows<{ n: number }>(q, sql`SELECT coalesce(sum(leads), 0)::int AS n FROM lead_stage_tallies WHERE stage = ${stage}`);
    return tally?.n ?? 0;
  }
  const { leads } = q.t;
  const [counted] = await q.db.select({ n: count() }).from(leads).where(eq(leads.pipeline_stage, stage));
  return counted?.n ?? 0;
}

/** Folds the tallies' change rows into one per stage and rank, so readers sum a handful (PostgreSQL only). */
export async function compactLeadStageTallies(q: Executor): Promise<void> {
  if (q.dialect === "postgres") await rawRun(q, sql`SELECT prospecta_compact_lead_stage_tallies()`);
}
