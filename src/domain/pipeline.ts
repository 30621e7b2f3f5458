/**
 * Pipeline rules, pure: which stage moves are allowed, and when a lead is ready
 * for the next stage. The main path is linear; `perdido` can be reached from any
 * open stage. Anything else (skipping ahead, going back, reopening a closed
 * lead) needs an explicit `force`.
 */
import { PIPELINE_STAGES, STAGE_LABELS, type PipelineStage } from "./vocabulary";

/** entrada → … → ganado: every stage but `perdido`, in order. */
export const MAIN_PATH: readonly PipelineStage[] = PIPELINE_STAGES.filter((stage) => stage !== "perdido");

export const CLOSED_STAGES: readonly PipelineStage[] = ["ganado", "perdido"];

export function isPipelineStage(value: string): value is PipelineStage {
  return (PIPELINE_STAGES as readonly string[]).includes(value);
}

export function isClosedStage(stage: PipelineStage): boolean {
  return CLOSED_STAGES.includes(stage);
}

/** Position on the main path (entrada = 0 … ganado = 5); `perdido` is off the path: -1. */
export function stageRank(stage: PipelineStage): number {
  return MAIN_PATH.indexOf(stage);
}

export function nextStage(stage: PipelineStage): PipelineStage | null {
  const rank = stageRank(stage);
  if (rank < 0 || rank === MAIN_PATH.length - 1) return null;
  return MAIN_PATH[rank + 1] ?? null;
}

/**
 * A refused move: `reason` in words for any surface; `forceHint` is what the API adds to say how to
 * force it (its answer is `reason + forceHint`), null when even force cannot do it.
 */
export type MoveDecision = { allowed: true } | { allowed: false; reason: string; forceable: boolean; forceHint: string | null };

/** Decides whether `from → to` may happen; `force` allows skips, going back and reopening. */
export function decideStageMove(from: PipelineStage, to: PipelineStage, force: boolean): MoveDecision {
  if (from === to) {
    return { allowed: false, reason: `El lead ya está en la etapa ${STAGE_LABELS[to]}`, forceable: false, forceHint: null };
  }
  if (force) return { allowed: true };
  if (isClosedStage(from)) {
    return { allowed: false, reason: `El lead está cerrado como ${STAGE_LABELS[from]}`, forceable: true, forceHint: '; para reabrirlo usa "force": true' };
  }
  if (to === "perdido" || to === nextStage(from)) return { allowed: true };
  const direction = stageRank(to) < stageRank(from) ? "retrocede" : "salta etapas";
  return {
    allowed: false,
    reason: `El movimiento de ${STAGE_LABELS[from]} a ${STAGE_LABELS[to]} ${direction}; la siguiente etapa es ${STAGE_LABELS[nextStage(from) ?? from]}.`,
    forceable: true,
    forceHint: ' Para forzarlo usa "force": true',
  };
}

/** What auto-advance needs to know about a lead beyond its own row. */
export interface AdvanceFacts {
  /** The lead wrote to us, or answered a call. */
  hasReplied: boolean;
  /** The next non-cancelled appointment, or the latest one if all are past. */
  appointment: { starts_at: Date; ends_at: Date; status: string } | null;
}

export interface LeadForAdvance {
  pipeline_stage: PipelineStage;
  budget_min: number | null;
  budget_max: number | null;
  location: string | null;
  property_type: string | null;
  financially_approved: boolean;
  phone: string | null;
}

export interface MissingCondition {
  code: string;
  message: string;
}

export type AdvanceEvaluation =
  | { ready: true; to: PipelineStage }
  | { ready: false; to: PipelineStage | null; missing: MissingCondition[] };

/**
 * Checks the conditions of the next stage:
 * - perfilamiento: the lead replied (chat) or was reached (answered call);
 * - calificacion_financiera: budget, location and property type known;
 * - agendado: financially approved and an appointment scheduled;
 * - seguimiento: the appointment's end time has passed;
 * - ganado is never automatic: a person closes the deal.
 */
export function evaluateAutoAdvance(lead: LeadForAdvance, facts: AdvanceFacts, now: Date): AdvanceEvaluation {
  const to = nextStage(lead.pipeline_stage);
  if (to === null) {
    return { ready: false, to: null, missing: [{ code: "closed", message: "El lead está cerrado; no hay etapa siguiente" }] };
  }
  const missing = conditionsFor(to, lead, facts, now);
  return missing.length === 0 ? { ready: true, to } : { ready: false, to, missing };
}

/**
 * Whether the conditions for leaving `from` read the appointment (conditionsFor):
 * only then does auto-advance need to look it up.
 */
export function advanceReadsAppointment(from: PipelineStage): boolean {
  const to = nextStage(from);
  return to === "agendado" || to === "seguimiento";
}

function conditionsFor(to: PipelineStage, lead: LeadForAdvance, facts: AdvanceFacts, now: Date): MissingCondition[] {
  const missing: MissingCondition[] = [];
  const need = (ok: boolean, code: string, message: string) => {
    if (!ok) missing.push({ code, message });
  };
  switch (to) {
    case "perfilamiento":
      need(facts.hasReplied, "first_reply", "El lead aún no ha respondido ni contestado una llamada");
      break;
    case "calificacion_financiera":
      need(lead.budget_min !== null || lead.budget_max !== null, "budget", "Falta el presupuesto");
      need(Boolean(lead.location), "location", "Falta la ubicación");
      need(Boolean(lead.property_type), "property_type", "Falta el tipo de propiedad");
      break;
    case "agendado":
      need(lead.financially_approved, "financial_approval", "Falta la aprobación financiera");
      need(facts.appointment?.status === "scheduled", "appointment", "No tiene una cita agendada");
      break;
    case "seguimiento":
      need(facts.appointment !== null, "appointment", "No tiene cita registrada");
      if (facts.appointment) {
        need(facts.appointment.ends_at.getTime() <= now.getTime(), "appointment_passed", "La cita aún no ha pasado");
      }
      break;
    case "ganado":
      need(false, "manual_close", "Marcar como ganado es una decisión manual");
      break;
    default:
      break;
  }
  return missing;
}
