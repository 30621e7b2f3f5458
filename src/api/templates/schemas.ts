import { z } from "zod";
import { rowId } from "../common-schemas";
import { AGENT_TYPES, CHANNELS } from "../../domain/vocabulary";
import { TEMPLATE_VARIABLES } from "../../domain/templates";

const variablesHelp = `Variables disponibles: ${Object.keys(TEMPLATE_VARIABLES).join(", ")}. Se extraen de {{...}} si no se indican.`;

const templateFields = {
  name: z.string().trim().min(1).max(200),
  channel: z.enum(CHANNELS),
  content: z.string().trim().min(1).max(4096).describe("Texto con {{variables}}; {{name|amigo}} da un valor por defecto"),
  agent_type: z.enum(AGENT_TYPES).nullable().optional(),
  variables: z.array(z.string()).optional().describe(variablesHelp),
  whatsapp_content_sid: z
    .string()
    .regex(/^HX[0-9a-fA-F]{32}$/, { message: "SID de contenido de Twilio (HX seguido de 32 caracteres hexadecimales)" })
    .nullable()
    .optional()
    .describe("Plantilla aprobada de WhatsApp (Twilio Content) para escribir fuera de la ventana de 24 horas"),
  whatsapp_variables: z
    .array(z.enum(Object.keys(TEMPLATE_VARIABLES) as [string, ...string[]]))
    .max(20)
    .nullable()
    .optional()
    .describe("Variables del catálogo que llenan {{1}}, {{2}}… de la plantilla aprobada, en ese orden"),
};

export const createTemplateBody = z.strictObject(templateFields).meta({ id: "TemplateCreate" });

export const updateTemplateBody = z
  .strictObject({
    name: templateFields.name.optional(),
    channel: templateFields.channel.optional(),
    content: templateFields.content.optional(),
    agent_type: templateFields.agent_type,
    variables: templateFields.variables,
    whatsapp_content_sid: templateFields.whatsapp_content_sid,
    whatsapp_variables: templateFields.whatsapp_variables,
  })
  .meta({ id: "TemplateUpdate" });

export const renderBody = z.strictObject({ lead_id: rowId }).meta({ id: "TemplateRender" });

export const templateSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    channel: z.enum(CHANNELS),
    content: z.string(),
    agent_type: z.string().nullable(),
    variables: z.array(z.string()),
    whatsapp_content_sid: z.string().nullable(),
    whatsapp_variables: z.array(z.string()).nullable(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .meta({ id: "Template" });

export const savedTemplateSchema = templateSchema
  .extend({ warnings: z.array(z.string()).describe("Avisos: variables desconocidas o no declaradas") })
  .meta({ id: "SavedTemplate" });

export const renderResponse = z
  .object({
    template_id: z.number().int(),
    lead_id: z.number().int(),
    channel: z.enum(CHANNELS),
    content: z.string(),
    missing_variables: z.array(z.string()).describe("Variables sin dato del lead: se usó su valor por defecto"),
  })
  .meta({ id: "TemplateRenderResult" });
