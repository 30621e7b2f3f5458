/**
 * Pipeline metrics straight from SQL aggregates: nothing here loads leads into
 * memory. Every query reads only the (pipeline_stage, stage_changed_at, id) or
 * furthest_stage_rank indexes, which is what keeps /pipeline/metrics fast at
 * 100k leads.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../executor";
import type { PipelineStage } from "../../src/domain/vocabulary";

export interface StageAggregate {
  stage: PipelineStage;
  count: number;
  avg_age_ms: number | null;
}

export function aggregateStages(db: Executor, now: Date): StageAggregate[] {
  return db.all<StageAggregate>(
    sql`SELECT pipeline_stage AS stage, COUNT(*) AS count, AVG(${now.getTime()} - stage_changed_at) AS avg_age_ms
          FROM leads GROUP BY pipeline_stage`,
  );
}

/**
 * The median time in a stage. The index is ordered by stage_changed_at inside
 * each stage, so the middle row is found by OFFSET on the index: no sort, no
 * window function over the whole table.
 */
export function medianStageAgeMs(db: Executor, stage: PipelineStage, stageCount: number, now: Date): number | null {
  if (stageCount === 0) return null;
  const rows = db.all<{ at: number }>(
    sql`SELECT stage_changed_at AS at FROM leads INDEXED BY leads_stage_changed_idx
         WHERE pipeline_stage = ${stage} ORDER BY stage_changed_at
         LIMIT ${stageCount % 2 === 0 ? 2 : 1} OFFSET ${Math.floor((stageCount - 1) / 2)}`,
  );
  if (rows.length === 0) return null;
  const middle = rows.reduce((sum, row) => sum + row.at, 0) / rows.length;
  return now.getTime() - middle;
}

/** How many leads ever reached each rank of the main path (entrada = 0 … ganado = 5). */
export function countReachedByRank(db: Executor): Map<number, number> {
  const rows = db.all<{ rank: number; count: number }>(
    sql`SELECT furthest_stage_rank AS rank, COUNT(*) AS count FROM leads GROUP BY furthest_stage_rank`,
  );
  return new Map(rows.map((row) => [row.rank, row.count]));
}
