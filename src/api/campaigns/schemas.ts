import { z } from "zod";
import { MESSAGE_STATUSES,
  AGENT_TYPES,
  CAMPAIGN_STATUSES,
  CAMPAIGN_STEP_ACTIONS,
  CAMPAIGN_TRIGGERS,
  CHANNELS,
  LOG_STATUSES,
  ENROLLMENT_STATUSES,
  PIPELINE_STAGES,
} from "../../domain/vocabulary";
import { triggerConditionProblems } from "../../domain/campaign-rules";
import { pageOf, pageQuery, rowId, rowIdParam } from "../common-schemas";

const triggerCondition = z
  .record(z.string(), z.unknown())
  .describe('Según triggered_by: stage_change {"stage"}, lead_score {"score_min","score_max"} (0–100), inactivity {"inactivity_days"} (≥ 1)');

/**
 * Adds the trigger-condition problems to the body's own, so one 400 lists them
 * all. It runs even when other fields failed (`when`), so it must not trust the
 * shape of what it reads.
 */
function checkTriggerCondition(body: { triggered_by?: unknown; trigger_condition?: unknown }, ctx: z.RefinementCtx) {
  const trigger = CAMPAIGN_TRIGGERS.find((t) => t === body?.triggered_by);
  if (trigger === undefined || typeof body.trigger_condition !== "object" || body.trigger_condition === null) return;
  for (const problem of triggerConditionProblems(trigger, body.trigger_condition)) {
    ctx.addIssue({ code: "custom", message: problem.message, path: problem.path.split(".") });
  }
}
const alwaysCheck = { when: () => true };

const campaignFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable().optional(),
  channel: z.enum(CHANNELS),
  triggered_by: z.enum(CAMPAIGN_TRIGGERS),
  trigger_condition: triggerCondition,
};

export const createCampaignBody = z
  .strictObject({ ...campaignFields, status: z.enum(CAMPAIGN_STATUSES).optional() })
  .superRefine(checkTriggerCondition, alwaysCheck)
  .meta({ id: "CampaignCreate" });

export const updateCampaignBody = z
  .strictObject({
    name: campaignFields.name.optional(),
    description: campaignFields.description,
    channel: campaignFields.channel.optional(),
    triggered_by: campaignFields.triggered_by.optional(),
    trigger_condition: triggerCondition.optional(),
    status: z.enum(CAMPAIGN_STATUSES).optional().describe("draft → active ⇄ paused → archived"),
  })
  .superRefine(checkTriggerCondition, alwaysCheck)
  .meta({ id: "CampaignUpdate" });

export const createStepBody = z
  .strictObject({
    step_number: z.number().int().min(1).max(1000),
    action: z.enum(CAMPAIGN_STEP_ACTIONS),
    message_template_id: rowId.nullable().optional().describe("Obligatorio para send_message"),
    target_stage: z.enum(PIPELINE_STAGES).nullable().optional().describe("Obligatorio para update_stage"),
    agent_type: z.enum(AGENT_TYPES).nullable().optional().describe("Agente de la llamada en start_call (perfilador por defecto)"),
    delay_hours: z.number().min(0).default(0).describe("Horas tras el paso anterior (o la inscripción); admite decimales"),
  })
  .meta({ id: "CampaignStepCreate" });

export const stepSchema = z
  .object({
    id: z.number().int(),
    campaign_id: z.number().int(),
    step_number: z.number().int(),
    action: z.enum(CAMPAIGN_STEP_ACTIONS),
    message_template_id: z.number().int().nullable(),
    target_stage: z.enum(PIPELINE_STAGES).nullable(),
    agent_type: z.string().nullable(),
    delay_hours: z.number(),
    created_at: z.date(),
  })
  .meta({ id: "CampaignStep" });

export const campaignSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    channel: z.enum(CHANNELS),
    triggered_by: z.enum(CAMPAIGN_TRIGGERS),
    trigger_condition: z.record(z.string(), z.unknown()),
    status: z.enum(CAMPAIGN_STATUSES),
    activated_at: z.date().nullable(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .meta({ id: "Campaign" });

export const campaignWithStepsSchema = campaignSchema.extend({ steps: z.array(stepSchema) }).meta({ id: "CampaignWithSteps" });

const statusCounts = {
  success: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  in_flight: z.number().int(),
  needs_review: z.number().int().describe("Pasos que pudieron haberse hecho o no (un mensaje sin confirmar, una caída): revisar, no se repiten"),
};

export const statsSchema = z
  .object({
    campaign_id: z.number().int(),
    channel: z.enum(CHANNELS),
    total_steps_executed: z.number().int().describe("Pasos ejecutados con éxito o con fallo"),
    unique_leads_contacted: z.number().int(),
    success_rate: z.number().min(0).max(1),
    failure_rate: z.number().min(0).max(1),
    skipped: z.number().int(),
    needs_review: z.number().int().describe("Pasos marcados para revisión: puede que el mensaje haya llegado o no; no se reintentan para no duplicar"),
    steps: z.array(z.object({ step_number: z.number().int(), action: z.string(), ...statusCounts })),
    enrollments: z.object(Object.fromEntries(ENROLLMENT_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof ENROLLMENT_STATUSES)[number], z.ZodNumber>),
    deliveries: z
      .object(Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof MESSAGE_STATUSES)[number], z.ZodNumber>)
      .describe("Mensajes enviados por la campaña según el último reporte del canal (WhatsApp informa entregado y leído; Telegram, enviado)"),
  })
  .meta({ id: "CampaignStats" });

export const logsQuery = z.object({
  lead_id: rowIdParam.optional(),
  status: z.enum(LOG_STATUSES).optional(),
  needs_review: z
    .enum(["true", "false"])
    .transform((value) => value === "true")
    .optional()
    .describe("true: solo los pasos marcados para revisión"),
  ...pageQuery,
});

export const logSchema = z
  .object({
    id: z.number().int(),
    campaign_id: z.number().int(),
    step_id: z.number().int().nullable(),
    step_number: z.number().int(),
    action: z.enum(CAMPAIGN_STEP_ACTIONS),
    enrollment_id: z.number().int().nullable(),
    lead_id: z.number().int(),
    status: z.enum(LOG_STATUSES),
    error: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
    attempts: z.number().int(),
    needs_review: z.boolean().describe("Puede que el paso se haya hecho o no (mensaje sin confirmar, caída del proceso): revisar; no se repite"),
    executed_at: z.date(),
    finished_at: z.date().nullable(),
  })
  .meta({ id: "CampaignLog" });

export const logsPage = pageOf(logSchema);

const count = z.number().int();

export const runPassSchema = z
  .object({
    scan: z.object({ enrolled: count.describe("Inscripciones nuevas"), exited: count.describe("Inscripciones terminadas por dejar de cumplir") }),
    run: z.object({
      success: count,
      failed: count,
      skipped: count,
      needs_review: count.describe("Pasos cuyo resultado no se conoce (mensaje sin confirmar), marcados para revisión"),
      exited: count,
      completed: count.describe("Inscripciones que terminaron su último paso"),
      postponed: count.describe("Pasos que esperan a que termine el horario de silencio"),
      recovered: count.describe("Pasos interrumpidos por una caída, marcados para revisión"),
    }),
  })
  .meta({ id: "CampaignRunResult" });
