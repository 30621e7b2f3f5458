/**
 * The Campañas forms: what a person typed, turned into the API's bodies and checked by the API's
 * zod schemas (src/api/campaigns/schemas.ts), so the dashboard accepts exactly what /api/v1 does.
 */
import { z } from "zod";
import { createCampaignBody, createStepBody, logsQuery, updateCampaignBody } from "../src/api/campaigns/schemas";
import { rowIdParam } from "../src/api/common-schemas";
import type { CampaignFields, StepFields } from "../src/services/campaign-service";
import { formOf, numberOrUndefined, textOrNull } from "./form-input";
import { parseInput } from "./parse-input";
import type { FastifyRequest } from "fastify";

const CAMPAIGN_LABELS: Record<string, string> = {
  name: "Nombre",
  description: "Descripción",
  channel: "Canal",
  triggered_by: "Disparador",
  "trigger_condition.stage": "Etapa",
  "trigger_condition.score_min": "Puntaje mínimo",
  "trigger_condition.score_max": "Puntaje máximo",
  "trigger_condition.inactivity_days": "Días sin actividad",
  status: "Estado",
};

const STEP_LABELS: Record<string, string> = {
  step_number: "Número de paso",
  action: "Acción",
  message_template_id: "Plantilla",
  target_stage: "Etapa destino",
  agent_type: "Agente",
  delay_hours: "Espera (horas)",
};

const LOG_FILTER_LABELS: Record<string, string> = { lead_id: "Lead", status: "Estado", needs_review: "Por revisar", skip: "Página", limit: "Por página" };

/** Only the chosen trigger's fields make its condition, as the API expects it. */
function conditionOf(form: Record<string, string>): Record<string, unknown> {
  switch (form.triggered_by) {
    case "stage_change":
      return { stage: form.stage ?? "" };
    case "lead_score":
      return { score_min: numberOrUndefined(form.score_min), score_max: numberOrUndefined(form.score_max) };
    case "inactivity":
      return { inactivity_days: numberOrUndefined(form.inactivity_days) };
    default:
      return {};
  }
}

function campaignBody(form: Record<string, string>) {
  return {
    name: form.name ?? "",
    description: textOrNull(form.description),
    channel: form.channel ?? "",
    triggered_by: form.triggered_by ?? "",
    trigger_condition: conditionOf(form),
  };
}

/** The Nueva campaña form, as createCampaign takes it. */
export function newCampaignFrom(request: FastifyRequest): CampaignFields {
  return parseInput(createCampaignBody, campaignBody(formOf(request)), { labels: CAMPAIGN_LABELS });
}

/** The Editar campaña form: every field is sent again. */
export function editedCampaignFrom(request: FastifyRequest): Partial<CampaignFields> {
  return parseInput(updateCampaignBody, campaignBody(formOf(request)), { labels: CAMPAIGN_LABELS });
}

/** Activar / Pausar: only those two from the page (archiving stays with the API and the bot). */
export function statusFrom(request: FastifyRequest): "active" | "paused" {
  return parseInput(z.object({ status: z.enum(["active", "paused"]) }), formOf(request), { labels: CAMPAIGN_LABELS }).status;
}

/** The step form: every action's field is on the form; only the chosen action's is kept. */
export function stepFrom(request: FastifyRequest): StepFields {
  const form = formOf(request);
  const action = form.action ?? "";
  return parseInput(
    createStepBody,
    {
      step_number: numberOrUndefined(form.step_number),
      action,
      message_template_id: action === "send_message" ? (numberOrUndefined(form.message_template_id) ?? null) : null,
      target_stage: action === "update_stage" ? textOrNull(form.target_stage) : null,
      agent_type: action === "start_call" ? textOrNull(form.agent_type) : null,
      delay_hours: numberOrUndefined(form.delay_hours) ?? 0,
    },
    { labels: STEP_LABELS },
  );
}

/** The logs' filter in the page's query string (?lead_id=&status=&needs_review=true&skip=), as the API's. */
export function logFilterFrom(request: FastifyRequest) {
  const query = Object.fromEntries(Object.entries(request.query as Record<string, unknown>).filter(([, value]) => value !== ""));
  return parseInput(logsQuery.extend({ limit: z.coerce.number().int().min(1).max(200).default(20) }), query, { labels: LOG_FILTER_LABELS });
}

/** An id in a page's path. */
export function idFrom(value: unknown, label: string): number {
  return parseInput(rowIdParam, value, { labels: { "": label } });
}
