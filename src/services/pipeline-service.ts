/** Stage moves, auto-advance, stage listings and metrics. */
import {
  findCurrentAppointment,
  findLeadWithScoreFacts,
  listInactiveLeads,
  listLeadsInStage,
  type ScoreFacts,
  moveLeadRow,
  type SeenByMove,
} from "../../db/repositories/leads-repository";
import { readPipelineFigures } from "../../db/repositories/pipeline-metrics-repository";
import type { AuditEntry } from "../../db/repositories/audit-repository";
import { compactLeadStageTallies } from "../../db/repositories/lead-stage-tallies-repository";
import type { Database } from "../../db/database";
import type { Executor } from "../../db/executor";
import type { Lead, NewLead } from "../../db/schema";
import { NotFoundError, StageMoveRefusedError } from "../errors";
import { advanceReadsAppointment, decideStageMove, evaluateAutoAdvance, MAIN_PATH, stageRank, type AdvanceFacts, type MissingCondition } from "../domain/pipeline";
import { PIPELINE_STAGES, type PipelineStage } from "../domain/vocabulary";
import { withRefreshedScore } from "./lead-scoring";
import type { Actor, ServiceDeps } from "./context";

const DAY_MS = 86_400_000;

/** The move auto-advance makes once the next stage's conditions hold. */
export const autoMove = (to: PipelineStage): StageMove => ({ new_stage: to, reason: "Avance automático: condiciones cumplidas" });

export interface StageMove {
  new_stage: PipelineStage;
  reason?: string | null | undefined;
  force?: boolean | undefined;
}

export interface StageChange {
  lead: Lead;
  from_stage: PipelineStage;
  to_stage: PipelineStage;
  /** What the move's statement saw beside the lead, when it could tell (see StageEntered.seen). */
  seen?: SeenByMove;
}

/**
 * What a use case changes on the lead with a move, written with it: its fields
 * in the move's UPDATE, its audit rows in the same INSERT as the move's (those
 * `before` first, then the move's, then those `after`).
 */
export interface AlongsideMove {
  changes?: Partial<NewLead>;
  auditsBefore?: AuditEntry[];
  auditsAfter?: AuditEntry[];
}

export type AutoAdvanceResult =
  | { moved: true; lead: Lead; from_stage: PipelineStage; to_stage: PipelineStage; missing: [] }
  | { moved: false; lead: Lead; from_stage: PipelineStage; to_stage: PipelineStage | null; missing: MissingCondition[] };

export function createPipelineService({ db, clock, events }: ServiceDeps) {
  async function requireLeadWithScoreFacts(tx: Executor, id: number): Promise<{ lead: Lead; facts: ScoreFacts }> {
    const found = await findLeadWithScoreFacts(tx, id);
    if (!found) throw new NotFoundError("un lead", id);
    return found;
  }

  /** Moves inside the caller's transaction: the row, history, audit and score together (and what `alongside` adds). */
  async function applyMove(
    tx: Executor,
    lead: Lead,
    move: StageMove,
    actor: Actor,
    now: Date,
    facts: ScoreFacts,
    alongside: AlongsideMove = {},
  ): Promise<StageChange> {
    const decision = decideStageMove(lead.pipeline_stage, move.new_stage, move.force === true);
    if (!decision.allowed) throw new StageMoveRefusedError(decision.reason, decision.forceable, decision.forceHint);
    const reason = move.reason?.trim() || null;
    const changes = await withRefreshedScore(
      tx,
      lead,
      {
        ...alongside.changes,
        pipeline_stage: move.new_stage,
        stage_changed_at: now,
        furthest_stage_rank: Math.max(lead.furthest_stage_rank, stageRank(move.new_stage)),
        lost_reason: move.new_stage === "perdido" ? (reason ?? lead.lost_reason) : lead.lost_reason,
        updated_at: now,
      },
      facts,
    );
    const stageChange: AuditEntry = {
      actor,
      action: "lead.stage_change",
      entity: "lead",
      entity_id: lead.id,
      before: { pipeline_stage: lead.pipeline_stage },
      after: { pipeline_stage: move.new_stage, reason, forced: move.force === true },
    };
    const history = { lead_id: lead.id, from_stage: lead.pipeline_stage, to_stage: move.new_stage, reason, actor, forced: move.force === true, at: now };
    const audits = [...(alongside.auditsBefore ?? []), stageChange, ...(alongside.auditsAfter ?? [])];
    const { lead: moved, seen } = await moveLeadRow(tx, lead.id, changes, history, { audits, at: now });
    return { lead: moved, from_stage: lead.pipeline_stage, to_stage: move.new_stage, ...(seen && { seen }) };
  }

  async function advanceFacts(tx: Executor, lead: Lead, facts: ScoreFacts, now: Date): Promise<AdvanceFacts> {
    return {
      hasReplied: facts.inboundMessages > 0 || facts.answeredCalls > 0,
      appointment: advanceReadsAppointment(lead.pipeline_stage) ? await findCurrentAppointment(tx, lead.id, now) : null,
    };
  }

  function notify(change: StageChange, actor: Actor): void {
    events.emitStageEntered({ ...change, actor });
  }

  return {
    /**
     * Moves a lead, in one transaction with its history and audit rows.
     * `inSameTransaction` writes the caller's own rows in that transaction,
     * after the move (awaited): both commit, or (a refused move, a throw) neither does.
     */
    async moveLeadToStage(
      leadId: number,
      move: StageMove,
      actor: Actor,
      options: { inSameTransaction?: (tx: Executor, change: StageChange) => Promise<void> } = {},
    ): Promise<StageChange> {
      const change = await db.transaction(async (tx) => {
        const found = await requireLeadWithScoreFacts(tx, leadId);
        const moved = await applyMove(tx, found.lead, move, actor, clock.now(), found.facts);
        await options.inSameTransaction?.(tx, moved);
        // Last: what reacts to the move (campaign enrollments) sees the caller's own rows too.
        await events.stageEnteredWithin(tx, [{ ...moved, actor }]);
        return moved;
      });
      notify(change, actor);
      return change;
    },

    /** Moves one step forward when the next stage's conditions hold; otherwise says what is missing. */
    async autoAdvance(leadId: number, actor: Actor): Promise<AutoAdvanceResult> {
      const result = await db.transaction(async (tx): Promise<AutoAdvanceResult> => {
        const now = clock.now();
        // The lead, its engagement and score facts in one statement; the appointment only for the stages whose conditions read it.
        const { lead, facts } = await requireLeadWithScoreFacts(tx, leadId);
        const evaluation = evaluateAutoAdvance(lead, await advanceFacts(tx, lead, facts, now), now);
        if (!evaluation.ready) {
          return { moved: false, lead, from_stage: lead.pipeline_stage, to_stage: evaluation.to, missing: evaluation.missing };
        }
        const change = await applyMove(tx, lead, autoMove(evaluation.to), actor, now, facts);
        await events.stageEnteredWithin(tx, [{ ...change, actor }]);
        return { moved: true, lead: change.lead, from_stage: change.from_stage, to_stage: change.to_stage, missing: [] };
      });
      if (result.moved) notify({ lead: result.lead, from_stage: result.from_stage, to_stage: result.to_stage }, actor);
      return result;
    },

    /**
     * Inside the caller's transaction, for a use case that changes the lead and moves it at once
     * (the facts of a chat turn): the move as autoAdvance or moveLeadToStage makes it, with
     * `alongside`'s changes in the same UPDATE and its audit rows in the same INSERT, and the
     * enrollments the new stage starts. `facts`: read with the lead in this transaction
     * (findLeadWithScoreFacts). Once committed, the caller calls `announceMove` for each change.
     */
    async moveWithin(tx: Executor, lead: Lead, move: StageMove, actor: Actor, now: Date, facts: ScoreFacts, alongside: AlongsideMove = {}): Promise<StageChange> {
      const change = await applyMove(tx, lead, move, actor, now, facts, alongside);
      await events.stageEnteredWithin(tx, [{ ...change, actor }]);
      return change;
    },

    /** What reacts to a move once it is committed (campaign steps now due). */
    announceMove: (change: StageChange, actor: Actor): void => notify(change, actor),

    /** What auto-advance reads beside the lead's row, the appointment only when the next stage's conditions need it. */
    advanceFacts,

    listStageLeads: (stage: PipelineStage, skip: number, limit: number) => db.run((q) => listLeadsInStage(q, stage, skip, limit)),

    async listInactiveLeads(stage: PipelineStage, inactivityDays: number, skip: number, limit: number) {
      const before = new Date(clock.now().getTime() - inactivityDays * DAY_MS);
      return { ...(await db.run((q) => listInactiveLeads(q, stage, before, skip, limit))), inactive_since: before };
    },

    metrics: () => computeMetrics(db, clock.now()),

    /** Keeps the stage tallies short to read (PostgreSQL; nothing to do on SQLite). */
    compactStageTallies: () => db.run((q) => compactLeadStageTallies(q)),
  };
}

export type PipelineService = ReturnType<typeof createPipelineService>;

/**
 * Metrics per stage and in total. "Days in stage" is measured for the leads in
 * the stage now (how long they have been waiting there). Conversion to the next
 * stage is a funnel: of the leads that ever reached a stage of the main path,
 * the share that reached the next one. Win rate is won / (won + lost).
 */
function computeMetrics(db: Database, now: Date) {
  return db.transaction(async (tx) => {
    const figures = await readPipelineFigures(tx, now);
    const byStage = new Map(figures.stages.map((row) => [row.stage, row]));
    const total = figures.stages.reduce((sum, row) => sum + row.count, 0);
    const reachedAtLeast = (rank: number) =>
      [...figures.leadsByFurthestRank.entries()].reduce((sum, [r, n]) => (r >= rank ? sum + n : sum), 0);

    const stages = PIPELINE_STAGES.map((stage) => {
      const row = byStage.get(stage);
      const count = row?.count ?? 0;
      const rank = stageRank(stage);
      const hasNext = rank >= 0 && rank < MAIN_PATH.length - 1;
      const reached = rank >= 0 ? reachedAtLeast(rank) : count;
      return {
        stage,
        count,
        share: ratio(count, total),
        avg_days_in_stage: row ? round(row.avg_age_ms / DAY_MS) : null,
        median_days_in_stage: row?.median_age_ms == null ? null : round(row.median_age_ms / DAY_MS),
        reached,
        conversion_to_next: hasNext ? ratio(reachedAtLeast(rank + 1), reached) : null,
      };
    });
    const won = byStage.get("ganado")?.count ?? 0;
    const lost = byStage.get("perdido")?.count ?? 0;
    return {
      generated_at: now,
      totals: { leads: total, open: total - won - lost, won, lost, win_rate: ratio(won, won + lost) },
      stages,
    };
  });
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : round(part / whole, 4);
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
