/**
 * Pipeline metrics straight from SQL aggregates: nothing here loads leads into
 * memory. Per stage: how many leads are in it, the average and median time
 * they have been there; and how many leads reached each rank of the main path.
 *
 * Ages are `now` minus stage_changed_at, in milliseconds. Both databases answer
 * the same numbers: SQLite averages integer milliseconds, PostgreSQL sums exact
 * intervals and divides once.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../executor";
import { rawRows, timeValue } from "../prepared";
import type { PipelineStage } from "../../src/domain/vocabulary";

export interface StageFigures {
  stage: PipelineStage;
  count: number;
  avg_age_ms: number;
  /** Null only when the stage emptied between its count and its median (outside a transaction). */
  median_age_ms: number | null;
}

export interface PipelineFigures {
  /** Only the stages that have leads. */
  stages: StageFigures[];
  /** How many leads have each furthest rank of the main path (entrada = 0 … ganado = 5). */
  leadsByFurthestRank: Map<number, number>;
}

/** Every figure of the pipeline as of `now`. Run it in a transaction: its statements then read one state. */
export function readPipelineFigures(q: Executor, now: Date): Promise<PipelineFigures> {
  return q.dialect === "sqlite" ? readOnSqlite(q, now) : readOnPostgres(q, now);
}

/**
 * PostgreSQL: every figure in one statement, so one round trip and one snapshot
 * (at READ COMMITTED each statement sees its own state: a median's OFFSET could
 * come from a count that a concurrent write had just changed).
 *
 * - The counts and summed stage_changed_at of each stage and rank come from
 *   the tallies (migrations-pg 0009), which change with the leads: no pass
 *   over the leads (the grouping of 120,000 of them took 30 ms).
 * - The median of each stage is its middle row(s) in leads_stage_changed_idx,
 *   ordered by stage_changed_at within the stage: an index-only walk to the
 *   OFFSET, once per stage (the stages CTE is materialised, or the planner runs
 *   the walk once per stage and rank).
 */
async function readOnPostgres(q: Executor, now: Date): Promise<PipelineFigures> {
  const at = sql`extract(epoch FROM ${timeValue(q, now)}::timestamptz)`;
  const rows = await rawRows<{ stage: PipelineStage; count: number; avg_age_ms: number; median_age_ms: number | null; ranks: Record<string, number> }>(
    q,
    sql`WITH groups AS MATERIALIZED (
          SELECT stage, rank, sum(leads) AS n, sum(changed_at_sum) AS changed_at_sum
            FROM lead_stage_tallies GROUP BY stage, rank HAVING sum(leads) <> 0
        ), stages AS MATERIALIZED (
          SELECT stage, sum(n)::int AS count, (sum(n) * ${at} - sum(changed_at_sum)) * 1000 / sum(n) AS avg_age_ms, json_object_agg(rank, n) AS ranks
            FROM groups GROUP BY stage
        )
        SELECT s.stage, s.count, s.avg_age_ms::float8 AS avg_age_ms, middle.age_ms::float8 AS median_age_ms, s.ranks
          FROM stages s CROSS JOIN LATERAL (
            SELECT (count(*) * ${at} - sum(extract(epoch FROM m.stage_changed_at))) * 1000 / count(*) AS age_ms
              FROM (SELECT stage_changed_at FROM leads WHERE pipeline_stage = s.stage ORDER BY stage_changed_at
                     OFFSET (s.count - 1) / 2 LIMIT 2 - s.count % 2) m
          ) middle`,
  );
  const leadsByFurthestRank = new Map<number, number>();
  for (const row of rows) {
    for (const [rank, n] of Object.entries(row.ranks)) leadsByFurthestRank.set(Number(rank), (leadsByFurthestRank.get(Number(rank)) ?? 0) + n);
  }
  return {
    stages: rows.map(({ stage, count, avg_age_ms, median_age_ms }) => ({ stage, count, avg_age_ms, median_age_ms })),
    leadsByFurthestRank,
  };
}

/**
 * SQLite runs in the process: a statement costs no round trip, so each figure
 * has its own, each on an index: the (pipeline_stage, stage_changed_at, id)
 * index for the stages, furthest_stage_rank's for the ranks.
 */
async function readOnSqlite(q: Executor, now: Date): Promise<PipelineFigures> {
  const aggregates = await rawRows<{ stage: PipelineStage; count: number; avg_age_ms: number }>(
    q,
    sql`SELECT pipeline_stage AS stage, COUNT(*) AS count, AVG(${now.getTime()} - stage_changed_at) AS avg_age_ms FROM leads GROUP BY pipeline_stage`,
  );
  const stages: StageFigures[] = [];
  for (const row of aggregates) stages.push({ ...row, median_age_ms: await medianAgeOnSqlite(q, row.stage, row.count, now) });
  const ranks = await rawRows<{ rank: number; count: number }>(
    q,
    sql`SELECT furthest_stage_rank AS rank, COUNT(*) AS count FROM leads GROUP BY furthest_stage_rank`,
  );
  return { stages, leadsByFurthestRank: new Map(ranks.map((row) => [row.rank, row.count])) };
}

/**
 * The median time in a stage of `stageCount` (≥ 1) leads. The index is ordered by
 * stage_changed_at inside each stage, so the middle row is found by OFFSET on the
 * index: no sort, no window function over the whole table.
 */
async function medianAgeOnSqlite(q: Executor, stage: PipelineStage, stageCount: number, now: Date): Promise<number | null> {
  // SQLite's planner prefers the plain stage index for this; it is told which one walks in order.
  const middle = await rawRows<{ at: number }>(
    q,
    sql`SELECT stage_changed_at AS at FROM leads INDEXED BY leads_stage_changed_idx
         WHERE pipeline_stage = ${stage} ORDER BY stage_changed_at
         LIMIT ${stageCount % 2 === 0 ? 2 : 1} OFFSET ${Math.floor((stageCount - 1) / 2)}`,
  );
  if (middle.length === 0) return null;
  return now.getTime() - middle.reduce((sum, row) => sum + row.at, 0) / middle.length;
}
