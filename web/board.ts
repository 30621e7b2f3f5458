/** The Tablero's columns: one per pipeline stage, in the bot's order and words, from the pipeline service. */
import { PIPELINE_STAGES, STAGE_LABELS, type PipelineStage } from "../src/domain/vocabulary";
import { formatBudget } from "../src/domain/templates";
import type { PipelineService } from "../src/services/pipeline-service";

/** Cards shown per column on the first load. */
export const CARDS_PER_COLUMN = 20;

const DAY_MS = 86_400_000;

export interface BoardCard {
  id: number;
  name: string;
  source: string | null;
  budget: string | null;
  location: string | null;
  score: number;
  daysInStage: number;
}

export interface BoardColumn {
  stage: PipelineStage;
  title: string;
  count: number;
  cards: BoardCard[];
}

export async function readBoard(pipeline: Pick<PipelineService, "listStageLeads">, now: Date): Promise<BoardColumn[]> {
  const pages = await Promise.all(PIPELINE_STAGES.map((stage) => pipeline.listStageLeads(stage, 0, CARDS_PER_COLUMN)));
  return PIPELINE_STAGES.map((stage, i) => {
    const { items, total } = pages[i]!;
    return {
      stage,
      title: STAGE_LABELS[stage],
      count: total,
      cards: items.map((lead) => ({
        id: lead.id,
        name: lead.name ?? `Lead #${lead.id}`,
        source: lead.source,
        budget: formatBudget(lead.budget_min, lead.budget_max, lead.currency),
        location: lead.location,
        score: lead.score,
        daysInStage: Math.max(0, Math.floor((now.getTime() - lead.stage_changed_at.getTime()) / DAY_MS)),
      })),
    };
  });
}
