/**
 * The dashboard's board (Tablero): every stage's count and newest cards under the person's
 * filters, then further pages of a stage as they scroll. Reads only; moves go through the
 * pipeline service, as the API's do.
 */
import {
  countBoardLeads,
  listBoardCards,
  listLeadSources,
  type BoardCardRow,
  type BoardCursor,
  type BoardFilter,
} from "../../db/repositories/board-repository";
import { PIPELINE_STAGES, type PipelineStage } from "../domain/vocabulary";
import type { ServiceDeps } from "./context";

const DAY_MS = 86_400_000;

/** The board's filters as people give them: "inactive for N days" rather than a time. */
export interface BoardQuery {
  q?: string | undefined;
  source?: string | undefined;
  scoreMin?: number | undefined;
  scoreMax?: number | undefined;
  inactiveDays?: number | undefined;
}

export interface BoardPage {
  cards: BoardCardRow[];
  /** Where the next page starts, or null when this one reached the stage's end. */
  next: BoardCursor | null;
}

export interface BoardColumnData extends BoardPage {
  stage: PipelineStage;
  count: number;
}

export type { BoardCardRow, BoardCursor } from "../../db/repositories/board-repository";

export function createBoardService({ db, clock }: ServiceDeps) {
  function filterOf(query: BoardQuery): BoardFilter {
    return {
      q: query.q,
      source: query.source,
      scoreMin: query.scoreMin,
      scoreMax: query.scoreMax,
      inactiveSince: query.inactiveDays === undefined ? undefined : new Date(clock.now().getTime() - query.inactiveDays * DAY_MS),
    };
  }

  // One row more than the page: whether a next page exists is known without a page that loads nothing.
  async function page(q: Parameters<typeof listBoardCards>[0], stage: PipelineStage, filter: BoardFilter, after: BoardCursor | null, limit: number) {
    const rows = await listBoardCards(q, stage, filter, after, limit + 1);
    const cards = rows.slice(0, limit);
    const last = cards.at(-1);
    return { cards, next: rows.length > limit && last ? { stageChangedAt: last.stage_changed_at, id: last.id } : null };
  }

  return {
    /**
     * Every stage in the pipeline's order with its count and first `perColumn` cards. Outside a
     * transaction, so on PostgreSQL the eight reads run side by side on the pool's connections.
     */
    columns(query: BoardQuery, perColumn: number): Promise<BoardColumnData[]> {
      const filter = filterOf(query);
      return db.run(async (q) => {
        const [counts, ...pages] = await Promise.all([countBoardLeads(q, filter), ...PIPELINE_STAGES.map((stage) => page(q, stage, filter, null, perColumn))]);
        return PIPELINE_STAGES.map((stage, i) => ({ stage, count: counts.get(stage) ?? 0, ...pages[i]! }));
      });
    },

    /** The cards of one stage after `after` (null: from its newest). */
    columnPage(stage: PipelineStage, query: BoardQuery, after: BoardCursor | null, limit: number): Promise<BoardPage> {
      return db.run((q) => page(q, stage, filterOf(query), after, limit));
    },

    /** Each stage's count under the filters (stages with none: 0). */
    async counts(query: BoardQuery): Promise<Record<PipelineStage, number>> {
      const counts = await db.run((q) => countBoardLeads(q, filterOf(query)));
      return Object.fromEntries(PIPELINE_STAGES.map((stage) => [stage, counts.get(stage) ?? 0])) as Record<PipelineStage, number>;
    },

    /** The sources leads came from, for the source filter. */
    listSources: (): Promise<string[]> => db.run((q) => listLeadSources(q)),
  };
}

export type BoardService = ReturnType<typeof createBoardService>;
