/**
 * Message templates: `{{variable}}` placeholders, optionally with an inline
 * fallback `{{name|amigo}}`. Rendering never shows a raw `{{…}}` to a lead:
 * a missing value takes the inline fallback, else the catalogue's fallback
 * below, and the punctuation around an emptied placeholder is tidied
 * ("Hola {{name}}, …" with no name → "Hola, …").
 */
import { STAGE_LABELS, type PipelineStage } from "./vocabulary";
import { dateTimeFormat, numberFormat } from "./intl-formats";

export interface TemplateVariable {
  description: string;
  /** Used when the lead has no value and the template gives no inline fallback. */
  fallback: string;
}

export const TEMPLATE_VARIABLES = {
  name: { description: "Nombre completo del lead", fallback: "" },
  first_name: { description: "Primer nombre del lead", fallback: "" },
  budget: { description: "Presupuesto con formato de moneda (p. ej. $3,500,000 MXN)", fallback: "tu presupuesto" },
  budget_min: { description: "Presupuesto mínimo con formato de moneda", fallback: "tu presupuesto" },
  budget_max: { description: "Presupuesto máximo con formato de moneda", fallback: "tu presupuesto" },
  location: { description: "Zona o ciudad de interés", fallback: "la zona que te interesa" },
  property_type: { description: "Tipo de propiedad (casa, departamento…)", fallback: "propiedad" },
  bedrooms: { description: "Recámaras buscadas", fallback: "" },
  stage: { description: "Etapa del pipeline, legible (p. ej. Perfilamiento)", fallback: "" },
  phone: { description: "Teléfono del lead", fallback: "" },
  appointment_date: { description: "Fecha y hora de la próxima cita, en la zona horaria del lead", fallback: "por confirmar" },
  meet_link: { description: "Enlace de Google Meet de la próxima cita", fallback: "(te enviaremos el enlace)" },
} satisfies Record<string, TemplateVariable>;

export type TemplateVariableName = keyof typeof TEMPLATE_VARIABLES;
export type TemplateValues = Partial<Record<TemplateVariableName, string | null>>;

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:\|([^}]*))?\}\}/g;

export function isKnownVariable(name: string): name is TemplateVariableName {
  return Object.hasOwn(TEMPLATE_VARIABLES, name);
}

/** The variable names a template uses, in order of first appearance. */
export function extractVariables(content: string): string[] {
  const seen = new Set<string>();
  for (const match of content.matchAll(PLACEHOLDER)) seen.add(match[1]!);
  return [...seen];
}

/** Whether rendering `content` needs the lead's appointment: a step whose template names none skips reading it. */
export function usesAppointment(content: string): boolean {
  return extractVariables(content).some((name) => name === "appointment_date" || name === "meet_link");
}

export interface RenderResult {
  text: string;
  /** Variables the lead had no value for (a fallback was used). */
  missing: string[];
}

export function renderTemplate(content: string, values: TemplateValues): RenderResult {
  const missing = new Set<string>();
  const replaced = content.replace(PLACEHOLDER, (_match, name: string, inlineFallback: string | undefined) => {
    const value = isKnownVariable(name) ? values[name] : undefined;
    if (value !== undefined && value !== null && value !== "") return value;
    missing.add(name);
    if (inlineFallback !== undefined) return inlineFallback.trim();
    return isKnownVariable(name) ? TEMPLATE_VARIABLES[name].fallback : "";
  });
  return { text: tidyEmptiedPlaceholders(replaced), missing: [...missing] };
}

/** Removes the spaces an empty value leaves behind: "Hola , gracias" → "Hola, gracias". */
function tidyEmptiedPlaceholders(text: string): string {
  return text
    .replace(/[ \t]+([,.;:!?])/g, "$1")
    .replace(/([¡¿])[ \t]+/g, "$1")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

export interface LeadForTemplate {
  name: string | null;
  phone: string | null;
  budget_min: number | null;
  budget_max: number | null;
  currency: string;
  location: string | null;
  property_type: string | null;
  bedrooms: number | null;
  pipeline_stage: PipelineStage;
  timezone: string | null;
}

export interface AppointmentForTemplate {
  starts_at: Date;
  meet_link: string | null;
}

/** The values a lead gives to the template variables. */
export function templateValuesFor(
  lead: LeadForTemplate,
  appointment: AppointmentForTemplate | null,
  defaultTimeZone: string,
): TemplateValues {
  const name = lead.name?.trim() || null;
  return {
    name,
    first_name: name ? (name.split(/\s+/)[0] ?? null) : null,
    budget: formatBudget(lead.budget_min, lead.budget_max, lead.currency),
    budget_min: lead.budget_min === null ? null : formatMoney(lead.budget_min, lead.currency),
    budget_max: lead.budget_max === null ? null : formatMoney(lead.budget_max, lead.currency),
    location: lead.location,
    property_type: lead.property_type,
    bedrooms: lead.bedrooms === null ? null : String(lead.bedrooms),
    stage: STAGE_LABELS[lead.pipeline_stage],
    phone: lead.phone,
    appointment_date: appointment ? formatAppointmentDate(appointment.starts_at, lead.timezone ?? defaultTimeZone) : null,
    meet_link: appointment?.meet_link ?? null,
  };
}

export function formatMoney(amount: number, currency: string): string {
  const formatted = numberFormat("es-MX", {
    style: "currency",
    currency,
    currencyDisplay: "narrowSymbol",
    maximumFractionDigits: 0,
  }).format(amount);
  return `${formatted} ${currency}`;
}

export function formatBudget(min: number | null, max: number | null, currency: string): string | null {
  const money = (n: number) => formatMoney(n, currency);
  if (min !== null && max !== null) return min === max ? money(min) : `entre ${money(min)} y ${money(max)}`;
  if (max !== null) return `hasta ${money(max)}`;
  if (min !== null) return `desde ${money(min)}`;
  return null;
}

/** "jueves 15 de enero, 10:00" in the given time zone. */
export function formatAppointmentDate(at: Date, timeZone: string): string {
  const parts = dateTimeFormat("es-MX", {
    timeZone,
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("weekday")} ${get("day")} de ${get("month")}, ${get("hour")}:${get("minute")}`;
}
