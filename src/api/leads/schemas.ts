import { z } from "zod";
import { CREDIT_TYPES, PIPELINE_STAGES, PURPOSES } from "../../domain/vocabulary";
import { pageQuery, phoneSchema } from "../common-schemas";
import { CONTACT_CHANNELS } from "../../domain/contact-channels";

const money = z.number().min(0);
const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: "No es una zona horaria IANA válida (p. ej. America/Mexico_City)" },
);

/** Fields an admin may set on a lead. The stage is not here: it moves through /pipeline. */
const editableLeadFields = {
  name: z.string().trim().min(1).max(200),
  telegram_chat_id: z.number().int(),
  telegram_username: z.string().trim().min(1).max(64),
  phone: phoneSchema,
  email: z.email({ message: "Correo electrónico inválido" }),
  source: z.string().trim().min(1).max(100),
  budget_min: money,
  budget_max: money,
  currency: z.string().regex(/^[A-Z]{3}$/, { message: "Código de moneda ISO 4217, p. ej. MXN" }),
  location: z.string().trim().min(1).max(300),
  property_type: z.string().trim().min(1).max(50),
  bedrooms: z.number().int().min(0).max(50),
  purpose: z.enum(PURPOSES),
  timeline: z.string().trim().min(1).max(100),
  credit_type: z.enum(CREDIT_TYPES),
  monthly_income: money,
  financially_approved: z.boolean(),
  preapproved: z.boolean(),
  down_payment: money,
  opted_out: z.boolean(),
  lost_reason: z.string().trim().min(1).max(500),
  timezone: timeZone,
  notes: z.string().max(5000),
};

type Fields = typeof editableLeadFields;
const optionalNullable = Object.fromEntries(
  Object.entries(editableLeadFields).map(([key, schema]) => [key, schema.nullable().optional()]),
) as { [K in keyof Fields]: z.ZodOptional<z.ZodNullable<Fields[K]>> };

export const createLeadBody = z
  .strictObject({
    ...optionalNullable,
    name: editableLeadFields.name,
    currency: editableLeadFields.currency.optional(),
    financially_approved: z.boolean().optional(),
    opted_out: z.boolean().optional(),
  })
  .meta({ id: "LeadCreate" });

export const patchLeadBody = z
  .strictObject({
    ...optionalNullable,
    currency: editableLeadFields.currency.optional(),
    financially_approved: z.boolean().optional(),
    opted_out: z.boolean().optional(),
  })
  .meta({ id: "LeadPatch", description: "Para cambiar la etapa usa POST /pipeline/leads/{id}/move-stage" });

export const listLeadsQuery = z.object({
  stage: z.enum(PIPELINE_STAGES).optional(),
  q: z.string().trim().min(1).max(100).optional().describe("Busca en nombre, teléfono, correo, usuario de Telegram y ubicación"),
  ...pageQuery,
});

export const leadSchema = z
  .object({
    id: z.number().int(),
    name: z.string().nullable(),
    telegram_chat_id: z.number().int().nullable(),
    telegram_username: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    source: z.string().nullable(),
    pipeline_stage: z.enum(PIPELINE_STAGES),
    stage_changed_at: z.date(),
    last_activity_at: z.date(),
    score: z.number().int(),
    budget_min: z.number().nullable(),
    budget_max: z.number().nullable(),
    currency: z.string(),
    location: z.string().nullable(),
    property_type: z.string().nullable(),
    bedrooms: z.number().int().nullable(),
    purpose: z.enum(PURPOSES).nullable(),
    timeline: z.string().nullable(),
    credit_type: z.enum(CREDIT_TYPES).nullable(),
    monthly_income: z.number().nullable(),
    financially_approved: z.boolean(),
    preapproved: z.boolean().nullable(),
    down_payment: z.number().nullable(),
    handoff_at: z.date().nullable().describe("Un asesor atiende el chat: el bot no responde"),
    opted_out: z.boolean(),
    telegram_unreachable_at: z.date().nullable().describe("Telegram rechazó la entrega (bot bloqueado, chat inexistente)"),
    telegram_unreachable_reason: z.string().nullable(),
    whatsapp_id: z.string().nullable().describe("Número de WhatsApp del lead (WaId)"),
    channels: z.array(z.enum(CONTACT_CHANNELS)).describe("Por dónde se puede contactar al lead: chat de Telegram o WhatsApp, llamada a su teléfono"),
    whatsapp_last_inbound_at: z.date().nullable().describe("Último mensaje del lead por WhatsApp: abre la ventana de 24 horas"),
    whatsapp_unreachable_at: z.date().nullable().describe("WhatsApp rechazó la entrega (número inválido o sin WhatsApp)"),
    whatsapp_unreachable_reason: z.string().nullable(),
    source_detail: z.record(z.string(), z.string()).nullable().describe("Detalle del origen, p. ej. el anuncio de clic a WhatsApp"),
    lost_reason: z.string().nullable(),
    timezone: z.string().nullable(),
    notes: z.string().nullable(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .meta({ id: "Lead" });

export const stageHistorySchema = z
  .object({
    id: z.number().int(),
    from_stage: z.enum(PIPELINE_STAGES).nullable(),
    to_stage: z.enum(PIPELINE_STAGES),
    reason: z.string().nullable(),
    actor: z.string(),
    forced: z.boolean(),
    at: z.date(),
  })
  .meta({ id: "StageHistoryEntry" });

export const leadWithHistorySchema = leadSchema.extend({ stage_history: z.array(stageHistorySchema) }).meta({ id: "LeadWithHistory" });
