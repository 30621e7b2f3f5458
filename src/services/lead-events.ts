/**
 * Notifications about leads, for the parts that react to them (the campaign
 * engine). Two kinds of listener:
 * - within the change's transaction, for work that must commit with it or
 *   not at all (enrolling the lead in the campaigns its new stage starts: a
 *   crash between the move and the enrollment would otherwise lose it); one
 *   that throws undoes the change;
 * - after the commit, for what may only start once the change is visible
 *   (running the steps now due); one that throws is logged, never undoes it.
 */
import type { Executor } from "../../db/executor";
import type { Lead } from "../../db/schema";
import type { SeenByMove } from "../../db/repositories/leads-repository";
import type { PipelineStage } from "../domain/vocabulary";
import type { Actor } from "./context";

export interface StageEntered {
  lead: Lead;
  /** Null when the lead was just created (it enters `entrada`). */
  from_stage: PipelineStage | null;
  to_stage: PipelineStage;
  actor: Actor;
  /**
   * What the statement that moved the lead saw, in the move's transaction, when it could tell at
   * no cost (PostgreSQL): whether the lead had active enrollments and whether an active campaign
   * fires on `to_stage`. Undefined: not known, the listeners read them.
   */
  seen?: SeenByMove;
}

export type StageEnteredListener = (event: StageEntered) => void;
export type StageEnteredWithinListener = (tx: Executor, events: readonly StageEntered[]) => Promise<void>;
export type CampaignActivatedListener = (campaignId: number) => void;

export function createLeadEvents(onListenerError: (error: unknown) => void = () => {}) {
  const stageListeners: StageEnteredListener[] = [];
  const withinListeners: StageEnteredWithinListener[] = [];
  return {
    onStageEnteredWithin(listener: StageEnteredWithinListener): void {
      withinListeners.push(listener);
    },
    /**
     * Called by the service inside the transaction that moved the leads (one move, or leads
     * created together); the listeners run one after another.
     */
    async stageEnteredWithin(tx: Executor, events: readonly StageEntered[]): Promise<void> {
      for (const listener of withinListeners) await listener(tx, events);
    },
    onStageEntered(listener: StageEnteredListener): void {
      stageListeners.push(listener);
    },
    emitStageEntered(event: StageEntered): void {
      for (const listener of stageListeners) {
        try {
          listener(event);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
  };
}

export type LeadEvents = ReturnType<typeof createLeadEvents>;
