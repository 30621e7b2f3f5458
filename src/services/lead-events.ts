/**
 * After-commit notifications about leads, for the parts that react to them
 * (the campaign engine enrolls on a stage entry). Listeners run after the
 * change's transaction committed; a listener that throws is logged by the
 * caller's error boundary, never undoes the change.
 */
import type { Lead } from "../../db/schema";
import type { PipelineStage } from "../domain/vocabulary";
import type { Actor } from "./context";

export interface StageEntered {
  lead: Lead;
  /** Null when the lead was just created (it enters `entrada`). */
  from_stage: PipelineStage | null;
  to_stage: PipelineStage;
  actor: Actor;
}

export type StageEnteredListener = (event: StageEntered) => void;
export type CampaignActivatedListener = (campaignId: number) => void;

export function createLeadEvents(onListenerError: (error: unknown) => void = () => {}) {
  const stageListeners: StageEnteredListener[] = [];
  return {
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
