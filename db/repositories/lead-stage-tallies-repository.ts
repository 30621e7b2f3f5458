/**
 * How many leads each stage holds, read from migrations-pg 0009's tallies on
 * PostgreSQL (counting a stage's leads there walks its whole index) and counted
 * directly on SQLite, whose index count runs in the process (about a
 * millisecond for a stage of 36,000 leads).
 */
import { count, eq, sql } from "drizzle-orm";
import type { Executor } from "../executor";
import { first, rawRows, rawRun, reusableQuery } from "../prepared";
import type { PipelineStage } from "../../src/domain/vocabulary";

const leadsInStage = reusableQuery<{ n: number }>("leads_in_stage", (q) =>
  q.db.select({ n: count() }).from(q.t.leads).where(eq(q.t.leads.pipeline_stage, sql.placeholder("stage"))),
);

export async function countLeadsInStage(q: Executor, stage: PipelineStage): Promise<number> {
  if (q.dialect === "postgres") {
    const [tally] = await rawRows<{ n: number }>(q, sql`SELECT coalesce(sum(leads), 0)::int AS n FROM lead_stage_tallies WHERE stage = ${stage}`);
    return tally?.n ?? 0;
  }
  return first(await leadsInStage(q, { stage }))?.n ?? 0;
}

/** Folds the tallies' change rows into one per stage and rank, so readers sum a handful (PostgreSQL only). */
export async function compactLeadStageTallies(q: Executor): Promise<void> {
  if (q.dialect === "postgres") await rawRun(q, sql`SELECT prospecta_compact_lead_stage_tallies()`);
}

/** How many leads every stage holds (stages with none are left out): the tallies on PostgreSQL, one GROUP BY over leads_stage_changed_idx on SQLite. */
export async function countLeadsPerStage(q: Executor): Promise<Map<PipelineStage, number>> {
  if (q.dialect === "postgres") {
    const rows = await rawRows<{ stage: PipelineStage; n: number }>(
      q,
      sql`SELECT stage, sum(leads)::int AS n FROM lead_stage_tallies GROUP BY stage HAVING sum(leads) <> 0`,
    );
    return new Map(rows.map((row) => [row.stage, row.n]));
  }
  const { leads } = q.t;
  const rows = await q.db.select({ stage: leads.pipeline_stage, n: count() }).from(leads).groupBy(leads.pipeline_stage);
  return new Map(rows.map((row) => [row.stage, row.n]));
}
