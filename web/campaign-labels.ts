/** How the Campañas and Plantillas pages name campaigns' states, triggers, actions and channels, in Spanish. */
import type { Campaign } from "../db/schema";
import { parseTrigger } from "../src/domain/campaign-rules";
import { STAGE_LABELS, type AgentType, type CampaignStatus, type CampaignStepAction, type CampaignTrigger, type Channel } from "../src/domain/vocabulary";

export const STATUS_LABELS: Record<CampaignStatus, string> = { draft: "Borrador", active: "Activa", paused: "Pausada", archived: "Archivada" };

export const TRIGGER_LABELS: Record<CampaignTrigger, string> = {
  stage_change: "Al entrar a una etapa",
  lead_score: "Por puntaje",
  inactivity: "Por inactividad",
};

export const ACTION_LABELS: Record<CampaignStepAction, string> = {
  send_message: "Enviar mensaje",
  update_stage: "Mover de etapa",
  start_call: "Llamada IA",
};

export const CHANNEL_LABELS: Record<Channel, string> = { telegram: "Telegram", whatsapp: "WhatsApp" };

export const AGENT_LABELS: Record<AgentType, string> = {
  perfilador: "Perfilador",
  financiero: "Financiero",
  agenda: "Agenda",
  seguimiento: "Seguimiento",
};

export const LOG_STATUS_LABELS = { success: "Con éxito", failed: "Con fallo", skipped: "Omitido", in_flight: "En curso" } as const;

/** The trigger in a sentence: "Al entrar a Entrada", "Puntaje entre 20 y 50", "Sin actividad por 30 días". */
export function describeTrigger(campaign: Pick<Campaign, "triggered_by" | "trigger_condition">): string {
  const trigger = parseTrigger(campaign);
  if (!trigger) return TRIGGER_LABELS[campaign.triggered_by];
  switch (trigger.triggered_by) {
    case "stage_change":
      return `Al entrar a ${STAGE_LABELS[trigger.trigger_condition.stage]}`;
    case "lead_score":
      return `Puntaje entre ${trigger.trigger_condition.score_min} y ${trigger.trigger_condition.score_max}`;
    case "inactivity": {
      const days = trigger.trigger_condition.inactivity_days;
      return `Sin actividad por ${days} ${days === 1 ? "día" : "días"}`;
    }
  }
}

/** "0 h", "1,5 h", "24 h". */
export function formatHours(hours: number): string {
  return `${hours.toLocaleString("es-MX", { maximumFractionDigits: 2 })} h`;
}
