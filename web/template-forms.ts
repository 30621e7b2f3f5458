/**
 * The Plantillas forms: what a person typed, turned into the API's bodies and checked by the API's
 * zod schemas (src/api/templates/schemas.ts), so the dashboard accepts exactly what /api/v1 does.
 */
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { createTemplateBody, updateTemplateBody } from "../src/api/templates/schemas";
import { rowIdParam } from "../src/api/common-schemas";
import type { TemplateFields } from "../src/services/template-service";
import { formOf, textOrNull } from "./form-input";
import { parseInput } from "./parse-input";

const TEMPLATE_LABELS: Record<string, string> = {
  name: "Nombre",
  channel: "Canal",
  content: "Contenido",
  agent_type: "Agente",
  whatsapp_content_sid: "Plantilla aprobada de WhatsApp (SID)",
  whatsapp_variables: "Variables de la plantilla aprobada",
};

/** "name, first_name" or one per line → ["name", "first_name"]; empty → none. */
function listOrNull(value: string | undefined): string[] | null {
  const items = (value ?? "").split(/[\s,]+/).filter(Boolean);
  return items.length ? items : null;
}

function templateBody(form: Record<string, string>) {
  return {
    name: form.name ?? "",
    channel: form.channel ?? "",
    content: form.content ?? "",
    agent_type: textOrNull(form.agent_type),
    whatsapp_content_sid: textOrNull(form.whatsapp_content_sid),
    whatsapp_variables: listOrNull(form.whatsapp_variables),
  };
}

export function newTemplateFrom(request: FastifyRequest): TemplateFields {
  return parseInput(createTemplateBody, templateBody(formOf(request)), { labels: TEMPLATE_LABELS });
}

/** The edit form sends every field again; the variables are found again in the content. */
export function editedTemplateFrom(request: FastifyRequest): Partial<TemplateFields> {
  return parseInput(updateTemplateBody, templateBody(formOf(request)), { labels: TEMPLATE_LABELS });
}

/** The preview's lead search (?q=) and chosen lead (?lead_id=). */
export function previewQueryFrom(request: FastifyRequest): { q?: string | undefined; lead_id?: number | undefined } {
  const query = Object.fromEntries(Object.entries(request.query as Record<string, unknown>).filter(([, value]) => value !== ""));
  return parseInput(
    z.object({ q: z.string().trim().max(200).optional(), lead_id: rowIdParam.optional() }),
    query,
    { labels: { q: "Buscar lead", lead_id: "Lead" } },
  );
}
