/** What the Tablero's templates show: the board service's rows in the bot's words and Spanish formats. */
import { CONTACT_CHANNEL_LABELS, contactChannels } from "../src/domain/contact-channels";
import { nextStage } from "../src/domain/pipeline";
import { formatBudget } from "../src/domain/templates";
import { PIPELINE_STAGES, STAGE_LABELS, type PipelineStage } from "../src/domain/vocabulary";
import type { BoardCardRow, BoardColumnData, BoardCursor } from "../src/services/board-service";
import { cursorText } from "./board-query";

/**
 * Cards per column on the first load (more than a screenful), and per page as a column scrolls.
 * Twenty per column made the first load's layout the largest part of its time (bench:dashboard at
 * 10,000 leads, cold: tablero-listo p50 550–640 ms with 20, 370 ms with 12).
 */
export const CARDS_PER_COLUMN = 12;
export const CARDS_PER_PAGE = 30;

const DAY_MS = 86_400_000;

export interface BoardCard {
  id: number;
  name: string;
  stage: PipelineStage;
  source: string | null;
  budget: string | null;
  location: string | null;
  score: number;
  daysInStage: number;
  /** "Telegram", "WhatsApp", "teléfono": how the agency can reach the lead. */
  channels: string[];
  /** The stage its "Mover a…" select offers first: the next one on the main path, if any. */
  suggested: PipelineStage | null;
}

export interface BoardColumn {
  stage: PipelineStage;
  title: string;
  count: number;
  cards: BoardCard[];
  /** The next page's cursor, or null at the stage's end. */
  next: string | null;
}

/** The stages a card can be moved to, as its "Mover a…" select lists them. */
export const STAGE_CHOICES = PIPELINE_STAGES.map((stage) => ({ stage, title: STAGE_LABELS[stage] }));

export function leadName(row: { id: number; name: string | null }): string {
  return row.name?.trim() || `Lead #${row.id}`;
}

export function boardCard(row: BoardCardRow, now: Date): BoardCard {
  return {
    id: row.id,
    name: leadName(row),
    stage: row.pipeline_stage,
    source: row.source,
    budget: formatBudget(row.budget_min, row.budget_max, row.currency),
    location: row.location,
    score: row.score,
    daysInStage: Math.max(0, Math.floor((now.getTime() - row.stage_changed_at.getTime()) / DAY_MS)),
    channels: contactChannels(row).map((channel) => CONTACT_CHANNEL_LABELS[channel]),
    suggested: nextStage(row.pipeline_stage),
  };
}

export function nextCursor(next: BoardCursor | null): string | null {
  return next ? cursorText(next) : null;
}

export function boardColumn(data: BoardColumnData, now: Date): BoardColumn {
  return {
    stage: data.stage,
    title: STAGE_LABELS[data.stage],
    count: data.count,
    cards: data.cards.map((row) => boardCard(row, now)),
    next: nextCursor(data.next),
  };
}

/** "1 lead", "12 leads". */
export function countText(count: number): string {
  return `${count} ${count === 1 ? "lead" : "leads"}`;
}
