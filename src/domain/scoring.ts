/**
 * The lead score, 0–100. One function, so the formula is in one place.
 *
 *   Profile completeness, up to 40:
 *     budget 10 · location 8 · property type 6 · contact (phone or email) 6
 *     · timeline 4 · bedrooms 3 · purpose 3
 *   Financing strength, up to 35:
 *     financially approved 15
 *     · credit type: contado 12, bancario / infonavit / fovissste / cofinavit 8, otro 4
 *     · monthly income known 8
 *   Engagement, up to 25:
 *     2 per inbound message (up to 5 messages = 10) · an answered call 5
 *     · an appointment scheduled or held 10
 *
 * An opted-out lead keeps its profile and financing points but loses engagement:
 * it asked us to stop, so it is not warm.
 */
import type { CreditType } from "./vocabulary";

export interface ScoreInput {
  budget_min: number | null;
  budget_max: number | null;
  location: string | null;
  property_type: string | null;
  phone: string | null;
  email: string | null;
  timeline: string | null;
  bedrooms: number | null;
  purpose: string | null;
  financially_approved: boolean;
  credit_type: CreditType | null;
  monthly_income: number | null;
  opted_out: boolean;
}

export interface EngagementFacts {
  inboundMessages: number;
  answeredCalls: number;
  hasAppointment: boolean;
}

const CREDIT_POINTS: Record<CreditType, number> = {
  contado: 12,
  bancario: 8,
  infonavit: 8,
  fovissste: 8,
  cofinavit: 8,
  otro: 4,
};

/** The three parts of the score, as the Lead page groups its lines. */
export const SCORE_GROUPS = ["perfil", "financiamiento", "interaccion"] as const;
export type ScoreGroup = (typeof SCORE_GROUPS)[number];

export const SCORE_GROUP_LABELS: Record<ScoreGroup, string> = {
  perfil: "Perfil",
  financiamiento: "Financiamiento",
  interaccion: "Interacción",
};

/** One line of the score: what it rewards, the points it gives this lead and the most it can give. */
export interface ScoreLine {
  group: ScoreGroup;
  label: string;
  points: number;
  max: number;
}

/**
 * The score line by line (the Lead page shows it). This is the formula: computeLeadScore is the sum
 * of these points, and the maxima add up to 100, so the sum needs no clamping.
 */
export function explainLeadScore(lead: ScoreInput, engagement: EngagementFacts): ScoreLine[] {
  const line = (group: ScoreGroup, label: string, max: number, points: number): ScoreLine => ({ group, label, points, max });
  // An opted-out lead asked us to stop: whatever it did before does not make it warm.
  const engaged = !lead.opted_out;
  return [
    line("perfil", "Presupuesto", 10, lead.budget_min !== null || lead.budget_max !== null ? 10 : 0),
    line("perfil", "Zona", 8, lead.location ? 8 : 0),
    line("perfil", "Tipo de propiedad", 6, lead.property_type ? 6 : 0),
    line("perfil", "Contacto (teléfono o correo)", 6, lead.phone || lead.email ? 6 : 0),
    line("perfil", "Plazo", 4, lead.timeline ? 4 : 0),
    line("perfil", "Recámaras", 3, lead.bedrooms !== null ? 3 : 0),
    line("perfil", "Propósito (compra o renta)", 3, lead.purpose ? 3 : 0),
    line("financiamiento", "Aprobación financiera", 15, lead.financially_approved ? 15 : 0),
    line("financiamiento", "Tipo de crédito", CREDIT_POINTS.contado, lead.credit_type ? CREDIT_POINTS[lead.credit_type] : 0),
    line("financiamiento", "Ingreso mensual", 8, lead.monthly_income !== null && lead.monthly_income > 0 ? 8 : 0),
    line("interaccion", "Mensajes del lead (2 por mensaje, hasta 5)", 10, engaged ? Math.min(Math.max(engagement.inboundMessages, 0), 5) * 2 : 0),
    line("interaccion", "Llamada contestada", 5, engaged && engagement.answeredCalls > 0 ? 5 : 0),
    line("interaccion", "Cita agendada o realizada", 10, engaged && engagement.hasAppointment ? 10 : 0),
  ];
}

export function computeLeadScore(lead: ScoreInput, engagement: EngagementFacts): number {
  let score = 0;
  for (const part of explainLeadScore(lead, engagement)) score += part.points;
  return score;
}

/**
 * The score of a lead about to be created, from the fields it is created with: it has no
 * messages, calls or appointments yet, so there is no engagement to read (five queries saved
 * on every creation). Absent fields count as empty, as they will be in the row.
 */
export function newLeadScore(fields: { [K in keyof ScoreInput]?: ScoreInput[K] | null }): number {
  return computeLeadScore(
    {
      budget_min: fields.budget_min ?? null,
      budget_max: fields.budget_max ?? null,
      location: fields.location ?? null,
      property_type: fields.property_type ?? null,
      phone: fields.phone ?? null,
      email: fields.email ?? null,
      timeline: fields.timeline ?? null,
      bedrooms: fields.bedrooms ?? null,
      purpose: fields.purpose ?? null,
      financially_approved: fields.financially_approved ?? false,
      credit_type: fields.credit_type ?? null,
      monthly_income: fields.monthly_income ?? null,
      opted_out: fields.opted_out ?? false,
    },
    { inboundMessages: 0, answeredCalls: 0, hasAppointment: false },
  );
}
