/**
 * What the Lead page shows, in the words people read: the profile, the score line by line and each
 * timeline entry as a title, who did it, its text and its facts. Templates only lay these out.
 */
import type { Lead } from "../db/schema";
import { CONTACT_CHANNEL_LABELS, contactChannels } from "../src/domain/contact-channels";
import { SCORE_GROUP_LABELS, SCORE_GROUPS, type ScoreLine } from "../src/domain/scoring";
import { formatBudget, formatMoney } from "../src/domain/templates";
import { STAGE_LABELS, type CreditType } from "../src/domain/vocabulary";
import type { TimelineEntry } from "../src/services/lead-timeline-service";
import { formatDateTime, formatDuration } from "./display";

const CREDIT_LABELS: Record<CreditType, string> = {
  infonavit: "Infonavit",
  fovissste: "Fovissste",
  bancario: "Crédito bancario",
  cofinavit: "Cofinavit",
  contado: "Contado",
  otro: "Otro",
};

const CHANNEL_LABELS: Record<string, string> = { telegram: "Telegram", whatsapp: "WhatsApp" };

const MESSAGE_STATUS_LABELS: Record<string, string> = {
  queued: "en cola",
  sent: "enviado",
  delivered: "entregado",
  read: "leído",
  failed: "falló",
  undelivered: "no entregado",
};

const CALL_STATUS_LABELS: Record<string, string> = {
  queued: "en cola",
  initiated: "iniciada",
  ringing: "sonando",
  in_progress: "en curso",
  completed: "completada",
  busy: "ocupado",
  no_answer: "sin respuesta",
  failed: "falló",
  canceled: "cancelada",
};

const APPOINTMENT_STATUS_LABELS: Record<string, string> = {
  scheduled: "agendada",
  completed: "realizada",
  cancelled: "cancelada",
  no_show: "no asistió",
};

const STEP_ACTION_LABELS: Record<string, string> = { send_message: "enviar mensaje", update_stage: "cambiar etapa", start_call: "llamar" };
const STEP_STATUS_LABELS: Record<string, string> = { success: "hecho", failed: "falló", skipped: "omitido", in_flight: "en curso" };

const AUDIT_ACTION_LABELS: Record<string, string> = {
  "lead.update": "Datos actualizados",
  "lead.handoff_requested": "Conversación pasada a una persona",
  "lead.handoff_released": "Conversación devuelta al bot",
  "lead.channel_linked": "Canal vinculado",
  "lead.financial_approval": "Aprobación financiera",
};

/** Lead fields as the profile names them (an audit entry lists the ones it changed). */
const FIELD_LABELS: Record<string, string> = {
  name: "nombre",
  phone: "teléfono",
  email: "correo",
  source: "fuente",
  budget_min: "presupuesto mínimo",
  budget_max: "presupuesto máximo",
  currency: "moneda",
  location: "zona",
  property_type: "tipo de propiedad",
  bedrooms: "recámaras",
  purpose: "propósito",
  timeline: "plazo",
  credit_type: "tipo de crédito",
  monthly_income: "ingreso mensual",
  financially_approved: "aprobación financiera",
  preapproved: "precalificación",
  down_payment: "enganche",
  opted_out: "baja de mensajes",
  lost_reason: "motivo de pérdida",
  timezone: "zona horaria",
  notes: "notas",
  telegram_chat_id: "chat de Telegram",
  telegram_username: "usuario de Telegram",
  whatsapp_id: "WhatsApp",
};

export interface ProfileRow {
  label: string;
  value: string;
  /** A phone number gets a tel: link. */
  href?: string;
}

export interface ScoreGroupView {
  title: string;
  points: number;
  max: number;
  lines: ScoreLine[];
}

export interface TimelineItem {
  /** `kind-id`, unique on the page. */
  key: string;
  kind: TimelineEntry["kind"];
  iso: string;
  when: string;
  title: string;
  by: string | null;
  text: string | null;
  facts: string[];
  link: { href: string; label: string } | null;
  /** A call whose transcript loads when its details open. */
  callId: number | null;
}

const orDash = (value: string | null | undefined) => (value === null || value === undefined || value === "" ? "Sin dato" : value);

export function leadName(lead: Pick<Lead, "id" | "name">): string {
  return lead.name ?? `Lead #${lead.id}`;
}

export function profileRows(lead: Lead, timeZone: string): ProfileRow[] {
  const channels = contactChannels(lead).map((channel) => CONTACT_CHANNEL_LABELS[channel]);
  const rows: ProfileRow[] = [
    { label: "Etapa", value: `${STAGE_LABELS[lead.pipeline_stage]} desde ${formatDateTime(lead.stage_changed_at, timeZone)}` },
    lead.phone ? { label: "Teléfono", value: lead.phone, href: `tel:${lead.phone}` } : { label: "Teléfono", value: "Sin dato" },
    { label: "Correo", value: orDash(lead.email) },
    { label: "Canales", value: channels.length ? channels.join(", ") : "Ninguno" },
    { label: "Fuente", value: orDash(lead.source) },
    { label: "Presupuesto", value: orDash(formatBudget(lead.budget_min, lead.budget_max, lead.currency)) },
    { label: "Zona", value: orDash(lead.location) },
    { label: "Tipo de propiedad", value: orDash(lead.property_type) },
    { label: "Recámaras", value: lead.bedrooms === null ? "Sin dato" : String(lead.bedrooms) },
    { label: "Propósito", value: orDash(lead.purpose) },
    { label: "Plazo", value: orDash(lead.timeline) },
    { label: "Ingreso mensual", value: lead.monthly_income === null ? "Sin dato" : formatMoney(lead.monthly_income, lead.currency) },
    { label: "Crédito", value: lead.credit_type ? CREDIT_LABELS[lead.credit_type] : "Sin dato" },
    { label: "Aprobación financiera", value: lead.financially_approved ? "Aprobado" : "No aprobado" },
    {
      label: "Conversación",
      value: lead.handoff_at ? `La atiende una persona desde ${formatDateTime(lead.handoff_at, timeZone)}; el bot no responde` : "La atiende el bot",
    },
    { label: "Mensajes", value: lead.opted_out ? "Pidió no recibir mensajes (baja)" : "Acepta mensajes" },
    { label: "Última actividad", value: formatDateTime(lead.last_activity_at, timeZone) },
  ];
  if (lead.pipeline_stage === "perdido" && lead.lost_reason) rows.push({ label: "Motivo de pérdida", value: lead.lost_reason });
  if (lead.notes) rows.push({ label: "Notas", value: lead.notes });
  return rows;
}

export function scoreGroups(lines: ScoreLine[]): ScoreGroupView[] {
  return SCORE_GROUPS.map((group) => {
    const own = lines.filter((line) => line.group === group);
    return {
      title: SCORE_GROUP_LABELS[group],
      points: own.reduce((sum, line) => sum + line.points, 0),
      max: own.reduce((sum, line) => sum + line.max, 0),
      lines: own,
    };
  });
}

/** Who a change or a message came from, as written in history and audit rows ("web:ana@…", "bot:lead"…). */
function authorOf(sentBy: string | null, agentType: string | null): string {
  if (sentBy) return sentBy.startsWith("web:") ? sentBy.slice(4) : sentBy;
  return agentType ? `Bot (agente ${agentType})` : "Bot";
}

export function timelineItem(entry: TimelineEntry, lead: Pick<Lead, "id" | "name">, timeZone: string): TimelineItem {
  const base = {
    key: `${entry.kind}-${entry.id}`,
    kind: entry.kind,
    iso: entry.at.toISOString(),
    when: formatDateTime(entry.at, timeZone),
    by: null as string | null,
    text: null as string | null,
    facts: [] as string[],
    link: null as TimelineItem["link"],
    callId: null as number | null,
  };
  switch (entry.kind) {
    case "message": {
      const channel = CHANNEL_LABELS[entry.channel] ?? entry.channel;
      const inbound = entry.direction === "inbound";
      return {
        ...base,
        title: `${inbound ? "Mensaje recibido" : "Mensaje enviado"} por ${channel}`,
        by: inbound ? leadName(lead) : authorOf(entry.sent_by, entry.agent_type),
        text: entry.text,
        facts: !inbound && entry.status ? [`Entrega: ${MESSAGE_STATUS_LABELS[entry.status] ?? entry.status}`] : [],
      };
    }
    case "call": {
      const facts = [`Estado: ${CALL_STATUS_LABELS[entry.status] ?? entry.status}`];
      if (entry.duration_seconds !== null) facts.push(`Duración: ${formatDuration(entry.duration_seconds)}`);
      if (entry.failure_reason) facts.push(`Motivo: ${entry.failure_reason}`);
      return {
        ...base,
        title: entry.direction === "inbound" ? "Llamada entrante" : "Llamada saliente",
        by: `Agente ${entry.agent_type}`,
        text: entry.summary,
        facts,
        callId: entry.id,
      };
    }
    case "stage":
      return {
        ...base,
        title: entry.from_stage ? `${STAGE_LABELS[entry.from_stage]} → ${STAGE_LABELS[entry.to_stage]}` : `Entró en ${STAGE_LABELS[entry.to_stage]}`,
        by: entry.actor,
        text: entry.reason,
        facts: entry.forced ? ["Movimiento forzado"] : [],
      };
    case "appointment":
      return {
        ...base,
        title: "Cita",
        facts: [`Estado: ${APPOINTMENT_STATUS_LABELS[entry.status] ?? entry.status}`, `Termina: ${formatDateTime(entry.ends_at, timeZone)}`],
        link: entry.meet_link ? { href: entry.meet_link, label: "Enlace de Meet" } : null,
      };
    case "campaign": {
      const facts = [`Paso ${entry.step_number}: ${STEP_ACTION_LABELS[entry.action] ?? entry.action}`, `Estado: ${STEP_STATUS_LABELS[entry.status] ?? entry.status}`];
      if (entry.needs_review) facts.push("Por revisar: no se sabe si se completó");
      return { ...base, title: `Campaña «${entry.campaign_name}»`, by: `campaign:${entry.campaign_id}`, text: entry.error, facts };
    }
    case "audit":
      return { ...base, title: auditTitle(entry.action, entry.after), by: entry.actor };
  }
}

function auditTitle(action: string, after: Record<string, unknown> | null): string {
  const label = AUDIT_ACTION_LABELS[action] ?? action;
  if (action === "lead.update" && after) {
    const fields = Object.keys(after).map((key) => FIELD_LABELS[key] ?? key);
    return fields.length ? `${label}: ${fields.join(", ")}` : label;
  }
  if (action === "lead.channel_linked" && typeof after?.channel === "string") return `${label}: ${CHANNEL_LABELS[after.channel] ?? after.channel}`;
  return label;
}
