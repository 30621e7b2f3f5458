/**
 * Pipeline metrics straight from SQL aggregates: nothing here loads leads into
 * memory. Every query reads only the (pipeline_stage, stage_changed_at, id) or
 * furthest_stage_rank indexes, which is what keeps /pipeline/metrics fast at
 * 100k leads.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../executor";
import { rawRows } from "../prepared";
import type { PipelineStage } from "../../src/domain/vocabulary";

export interface StageAggregate {
  stage: PipelineStage;
  count: number;
  avg_age_ms: number | null;
}

/** A time column as epoch milliseconds (SQLite stores them so; PostgreSQL's timestamptz is converted). */
function epochMs(q: Executor, column: string) {
  return q.dialect === "sqlite" ? sql.raw(column) : sql.raw(`(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`);
}

// PostgreSQL answers COUNT (bigint) and AVG of numeric as text through node-postgres: numbers are converted here.
const asNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));

export async function aggregateStages(q: Executor, now: Date): Promise<StageAggregate[]> {
  const rows = await rawRows<{ stage: PipelineStage; count: number | string; avg_age_ms: number | string | null }>(
    q,
    sql`SELECT pipeline_stage AS stage, COUNT(*) AS count, AVG(${now.getTime()} - ${epochMs(q, "stage_changed_at")}) AS avg_age_ms
          FROM leads GROUP BY pipeline_stage`,
  );
  return rows.map((row) => ({ stage: row.stage, count: Number(row.count), avg_age_ms: asNumber(row.avg_age_ms) }));
}

/**
 * The median time in a stage. The index is ordered by stage_changed_at inside
 * each stage, so the middle row is found by OFFSET on the index: no sort, no
 * window function over the whole table.
 */
export async function medianStageAgeMs(q: Executor, stage: PipelineStage, stageCount: number, now: Date): Promise<number | null> {
  if (stageCount === 0) return null;
  // SQLite's planner prefers the plain stage index for this; it is told which one walks in order.
  const from = q.dialect === "sqlite" ? sql.raw("leads INDEXED BY leads_stage_changed_idx") : sql.raw("leads");
  const rows = await rawRows<{ at: number | string }>(
    q,
    sql`SELECT ${epochMs(q, "stage_changed_at")} AS at FROM ${from}
         WHERE pipeline_stage = ${stage} ORDER BY stage_changed_at
         LIMIT ${stageCount % 2 === 0 ? 2 : 1} OFFSET ${Math.floor((stageCount - 1) / 2)}`,
  );
  if (rows.length === 0) return null;
  const middle = rows.reduce((sum, row) => sum + Number(row.at), 0) / rows.length;
  return now.getTime() - middle;
}

/** How many leads ever reached each rank of the main path (entrada = 0 … ganado = 5). */
export async function countReachedByRank(q: Executor): Promise<Map<number, number>> {
  const rows = await rawRows<{ rank: number; count: number | string }>(
    q,
    sql`SELECT furthest_stage_rank AS rank, COUNT(*) AS count FROM leads GROUP BY furthest_stage_rank`,
  );
  return new Map(rows.map((row) => [row.rank, Number(row.count)]));
}
