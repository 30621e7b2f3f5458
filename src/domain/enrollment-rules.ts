/**
 * When a lead may enter a campaign and when its enrollment must end. Pure, so
 * the runner checks the same rules right before acting that the set-based SQL
 * sweep applies in bulk (see db/repositories/enrollments-repository.ts).
 */
import type { TriggerCondition } from "./campaign-rules";
import { isClosedStage } from "./pipeline";
import type { PipelineStage } from "./vocabulary";

export interface LeadForEnrollment {
  pipeline_stage: PipelineStage;
  opted_out: boolean;
  last_activity_at: Date;
}

export interface EnrollmentState {
  trigger_key: string;
  moved_by_own_step: boolean;
}

/** The key that makes an enrollment unique per trigger occurrence. */
export const triggerKeys = {
  /** Once per entry into the stage: the entry time identifies it. */
  stageEntry: (stageChangedAt: Date) => `stage:${stageChangedAt.getTime()}`,
  /** Once per lead. */
  score: () => "score",
  /** Once per inactive spell: the last activity before the silence identifies it. */
  inactiveSpell: (lastActivityAt: Date) => `inactive:${lastActivityAt.getTime()}`,
};

/** Why the enrollment must end now, or null when it goes on. Messages are for the logs (Spanish: admins read them). */
export function enrollmentExitReason(trigger: TriggerCondition, lead: LeadForEnrollment, enrollment: EnrollmentState): string | null {
  if (lead.opted_out) return "El lead pidió no recibir más mensajes";
  if (isClosedStage(lead.pipeline_stage)) return `El lead se cerró como ${lead.pipeline_stage}`;
  switch (trigger.triggered_by) {
    case "stage_change":
      if (lead.pipeline_stage !== trigger.trigger_condition.stage && !enrollment.moved_by_own_step) {
        return `El lead salió de la etapa ${trigger.trigger_condition.stage}`;
      }
      return null;
    case "inactivity":
      if (enrollment.trigger_key !== triggerKeys.inactiveSpell(lead.last_activity_at)) return "El lead volvió a estar activo";
      return null;
    case "lead_score":
      return null;
  }
}
