/** The product's fixed words: one list each, shared by the database, the domain and the API schemas. */

export const PIPELINE_STAGES = [
  "entrada",
  "perfilamiento",
  "calificacion_financiera",
  "agendado",
  "seguimiento",
  "ganado",
  "perdido",
] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export const STAGE_LABELS: Record<PipelineStage, string> = {
  entrada: "Entrada",
  perfilamiento: "Perfilamiento",
  calificacion_financiera: "Calificación financiera",
  agendado: "Agendado",
  seguimiento: "Seguimiento",
  ganado: "Ganado",
  perdido: "Perdido",
};

export const CREDIT_TYPES = ["infonavit", "fovissste", "bancario", "cofinavit", "contado", "otro"] as const;
export type CreditType = (typeof CREDIT_TYPES)[number];

export const PURPOSES = ["compra", "renta"] as const;

/** Channels a campaign can message on. Only Telegram is wired today; adding one starts here. */
export const CHANNELS = ["telegram", "whatsapp"] as const;
export type Channel = (typeof CHANNELS)[number];

export const AGENT_TYPES = ["perfilador", "financiero", "agenda", "seguimiento"] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

/** A stored agent name as the type; an unknown one (an old row, a hand edit) falls back to the perfilador. */
export function agentTypeOrDefault(value: string | null | undefined): AgentType {
  return (AGENT_TYPES as readonly string[]).includes(value ?? "") ? (value as AgentType) : "perfilador";
}

export const MESSAGE_DIRECTIONS = ["inbound", "outbound"] as const;

/** Delivery of an outbound message as the provider reports it (Twilio's message statuses). */
export const MESSAGE_STATUSES = ["queued", "sent", "delivered", "read", "failed", "undelivered"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const CAMPAIGN_TRIGGERS = ["stage_change", "lead_score", "inactivity"] as const;
export type CampaignTrigger = (typeof CAMPAIGN_TRIGGERS)[number];

export const CAMPAIGN_STATUSES = ["draft", "active", "paused", "archived"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const CAMPAIGN_STEP_ACTIONS = ["send_message", "update_stage", "start_call"] as const;
export type CampaignStepAction = (typeof CAMPAIGN_STEP_ACTIONS)[number];

export const ENROLLMENT_STATUSES = ["active", "completed", "exited"] as const;
export const LOG_STATUSES = ["success", "failed", "skipped", "in_flight"] as const;

export const CALL_DIRECTIONS = ["outbound", "inbound"] as const;
export const CALL_STATUSES = [
  "queued",
  "initiated",
  "ringing",
  "in_progress",
  "completed",
  "busy",
  "no_answer",
  "failed",
  "canceled",
] as const;

export const APPOINTMENT_STATUSES = ["scheduled", "completed", "cancelled", "no_show"] as const;

/** Who a dashboard account is: an admin may do everything, an asesor works leads and conversations. */
export const USER_ROLES = ["admin", "asesor"] as const;
export type UserRole = (typeof USER_ROLES)[number];
