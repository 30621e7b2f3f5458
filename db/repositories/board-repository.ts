/**
 * What the dashboard's board (Tablero) reads: the leads of each stage as cards, a page at a time,
 * counted per stage, under the board's filters. Cards carry only the columns a card shows.
 */
import { and, asc, count, desc, eq, gte, isNotNull, lt, lte, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../executor";
import { timeValue } from "../prepared";
import type { PipelineStage } from "../../src/domain/vocabulary";
import { countLeadsPerStage } from "./lead-stage-tallies-repository";
import { searchCondition } from "./leads-repository";

export interface BoardFilter {
  /** Searched as the leads' list searches (name, phone, e-mail, Telegram user, location). */
  q?: string | undefined;
  source?: string | undefined;
  scoreMin?: number | undefined;
  scoreMax?: number | undefined;
  /** Only leads with no activity since this time. */
  inactiveSince?: Date | undefined;
}

/** Where a column's page ends: the last card's (stage_changed_at, id), the order of leads_stage_changed_idx. */
export interface BoardCursor {
  stageChangedAt: Date;
  id: number;
}

/** Sources listed in the filter's select at most (a source is a campaign or channel name, a handful in practice). */
const MAX_SOURCES = 200;

const cardColumns = (q: Executor) => {
  const { leads } = q.t;
  return {
    id: leads.id,
    name: leads.name,
    pipeline_stage: leads.pipeline_stage,
    stage_changed_at: leads.stage_changed_at,
    source: leads.source,
    budget_min: leads.budget_min,
    budget_max: leads.budget_max,
    currency: leads.currency,
    location: leads.location,
    score: leads.score,
    telegram_chat_id: leads.telegram_chat_id,
    whatsapp_id: leads.whatsapp_id,
    phone: leads.phone,
  };
};

export type BoardCardRow = {
  id: number;
  name: string | null;
  pipeline_stage: PipelineStage;
  stage_changed_at: Date;
  source: string | null;
  budget_min: number | null;
  budget_max: number | null;
  currency: string;
  location: string | null;
  score: number;
  telegram_chat_id: number | null;
  whatsapp_id: string | null;
  phone: string | null;
};

export function isFiltered(filter: BoardFilter): boolean {
  return Boolean(filter.q || filter.source || filter.scoreMin !== undefined || filter.scoreMax !== undefined || filter.inactiveSince);
}

function filterConditions(q: Executor, filter: BoardFilter): SQL[] {
  const { leads } = q.t;
  const conditions: SQL[] = [];
  if (filter.q) conditions.push(searchCondition(q, filter.q));
  if (filter.source) conditions.push(eq(leads.source, filter.source));
  if (filter.scoreMin !== undefined) conditions.push(gte(leads.score, filter.scoreMin));
  if (filter.scoreMax !== undefined) conditions.push(lte(leads.score, filter.scoreMax));
  if (filter.inactiveSince) conditions.push(lt(leads.last_activity_at, filter.inactiveSince));
  return conditions;
}

/**
 * How many leads each stage holds under the filter (stages with none left out). Unfiltered, the
 * stage tallies answer (no pass over the leads on PostgreSQL); filtered, one GROUP BY.
 */
export async function countBoardLeads(q: Executor, filter: BoardFilter): Promise<Map<PipelineStage, number>> {
  if (!isFiltered(filter)) return countLeadsPerStage(q);
  const { leads } = q.t;
  const rows = await q.db
    .select({ stage: leads.pipeline_stage, n: count() })
    .from(leads)
    .where(and(...filterConditions(q, filter)))
    .groupBy(leads.pipeline_stage);
  return new Map(rows.map((row) => [row.stage, Number(row.n)]));
}

/**
 * A page of a stage's cards, the latest arrivals first, after `after` (keyset, never OFFSET): the
 * stage and the row comparison on (stage_changed_at, id) are a range of leads_stage_changed_idx on
 * both databases, walked from the cursor down, so the hundredth page costs what the first does.
 */
export async function listBoardCards(q: Executor, stage: PipelineStage, filter: BoardFilter, after: BoardCursor | null, limit: number): Promise<BoardCardRow[]> {
  const { leads } = q.t;
  const conditions = [eq(leads.pipeline_stage, stage), ...filterConditions(q, filter)];
  if (after) {
    // Row values: SQLite (3.15+) and PostgreSQL both turn this into an index range; the OR form does not.
    conditions.push(sql`(${leads.stage_changed_at}, ${leads.id}) < (${timeValue(q, after.stageChangedAt)}, ${after.id})`);
  }
  const rows = await q.db
    .select(cardColumns(q))
    .from(leads)
    .where(and(...conditions))
    .orderBy(desc(leads.stage_changed_at), desc(leads.id))
    .limit(limit);
  return rows as BoardCardRow[];
}

/** The sources leads came from, for the filter's select. */
export async function listLeadSources(q: Executor): Promise<string[]> {
  const { leads } = q.t;
  const rows = await q.db.selectDistinct({ source: leads.source }).from(leads).where(isNotNull(leads.source)).orderBy(asc(leads.source)).limit(MAX_SOURCES);
  return rows.map((row) => row.source!).filter((source) => source.trim() !== "");
}
