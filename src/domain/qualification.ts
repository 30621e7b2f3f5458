/**
 * What the agents still need to know, and whether the lead is financially
 * approved. Pure: the approval is a documented rule over the facts, never the
 * model's opinion.
 */
import type { CreditType, PipelineStage } from "./vocabulary";

export interface LeadProfile {
  pipeline_stage: PipelineStage;
  budget_min: number | null;
  budget_max: number | null;
  location: string | null;
  property_type: string | null;
  purpose: string | null;
  bedrooms: number | null;
  timeline: string | null;
  monthly_income: number | null;
  credit_type: CreditType | null;
  preapproved: boolean | null;
  down_payment: number | null;
}

export type ProfileField = "property_type" | "location" | "budget" | "purpose" | "bedrooms" | "timeline";
export type FinanceField = "credit_type" | "monthly_income" | "down_payment";

/** The profile questions, in the order the perfilador asks them. The first three are required to move on. */
export const PROFILE_ORDER: readonly ProfileField[] = ["property_type", "location", "budget", "purpose", "bedrooms", "timeline"];
export const REQUIRED_PROFILE: readonly ProfileField[] = ["property_type", "location", "budget"];
export const FINANCE_ORDER: readonly FinanceField[] = ["credit_type", "monthly_income", "down_payment"];

function knows(lead: LeadProfile, field: ProfileField | FinanceField): boolean {
  switch (field) {
    case "budget":
      return lead.budget_min !== null || lead.budget_max !== null;
    default:
      return lead[field] !== null && lead[field] !== "";
  }
}

export function missingProfile(lead: LeadProfile): ProfileField[] {
  return PROFILE_ORDER.filter((field) => !knows(lead, field));
}

export function isProfileComplete(lead: LeadProfile): boolean {
  return REQUIRED_PROFILE.every((field) => knows(lead, field));
}

/** Finance questions still open; cash buyers are not asked about income or down payment. */
export function missingFinance(lead: LeadProfile): FinanceField[] {
  if (lead.credit_type === "contado") return [];
  return FINANCE_ORDER.filter((field) => !knows(lead, field));
}

/** Share of a monthly income a mortgage payment may take. */
export const MAX_PAYMENT_TO_INCOME = 0.3;
/** Monthly payment per peso borrowed: about 11% a year over 20 years. */
export const PAYMENT_PER_PESO = 0.0103;
/** Down payment assumed when the lead did not say: 10% of the price. */
export const DEFAULT_DOWN_PAYMENT_SHARE = 0.1;

export type ApprovalDecision =
  | { decided: true; approved: boolean; reason: string; max_price: number | null }
  | { decided: false; missing: FinanceField[] };

/**
 * The approval rule:
 * - paying cash (contado): approved;
 * - a credit pre-approval the lead reports: approved;
 * - otherwise with a credit type and a monthly income: the most it can pay is
 *   the loan a payment of 30% of its income covers (at 11% over 20 years)
 *   plus its down payment (10% of the price if not said); approved when that
 *   reaches the lowest price it is looking at.
 * Undecided while credit type or income is unknown.
 */
export function decideApproval(lead: LeadProfile): ApprovalDecision {
  if (lead.credit_type === "contado") return { decided: true, approved: true, reason: "Pago de contado", max_price: null };
  if (lead.preapproved === true) return { decided: true, approved: true, reason: "Tiene precalificación de crédito", max_price: null };
  const missing = (["credit_type", "monthly_income"] as const).filter((field) => lead[field] === null);
  if (missing.length > 0 || lead.monthly_income === null) return { decided: false, missing: [...missing] };
  const loan = (lead.monthly_income * MAX_PAYMENT_TO_INCOME) / PAYMENT_PER_PESO;
  const maxPrice = lead.down_payment !== null ? loan + lead.down_payment : loan / (1 - DEFAULT_DOWN_PAYMENT_SHARE);
  const target = lead.budget_min ?? lead.budget_max;
  if (target === null) return { decided: true, approved: true, reason: "Capacidad de compra calculada; sin presupuesto que comparar", max_price: Math.round(maxPrice) };
  const approved = maxPrice >= target;
  return {
    decided: true,
    approved,
    reason: approved ? "Su ingreso alcanza para el presupuesto" : "Su ingreso no alcanza para el presupuesto que busca",
    max_price: Math.round(maxPrice),
  };
}
