/**
 * Merging what a lead just said into what we knew. A fact the message does not
 * mention (null/undefined) never erases a known one; a new value replaces the
 * old (the lead corrected itself). A budget range stays coherent.
 */
import type { LeadFacts } from "../agents/lead-facts";

export interface KnownFacts {
  budget_min: number | null;
  budget_max: number | null;
  currency: string;
  location: string | null;
  property_type: string | null;
  bedrooms: number | null;
  purpose: string | null;
  timeline: string | null;
  monthly_income: number | null;
  credit_type: string | null;
  preapproved: boolean | null;
  down_payment: number | null;
}

/** The fields to write: only those the message states and that differ from what we know. */
export function mergeFacts(known: KnownFacts, said: LeadFacts): Partial<KnownFacts> {
  const patch: Partial<KnownFacts> = {};
  const set = <K extends keyof KnownFacts>(key: K, value: KnownFacts[K] | null | undefined) => {
    if (value !== null && value !== undefined && value !== known[key]) patch[key] = value;
  };
  const saysBudget = said.budget_min != null || said.budget_max != null;
  if (saysBudget) {
    // A new budget replaces the old range as a whole: "mejor hasta 3 millones" drops the old minimum.
    const min = said.budget_min ?? null;
    const max = said.budget_max ?? null;
    if (min !== known.budget_min) patch.budget_min = min;
    if (max !== known.budget_max) patch.budget_max = max;
    set("currency", said.currency ?? "MXN");
  }
  set("location", said.location);
  set("property_type", said.property_type);
  set("bedrooms", said.bedrooms);
  set("purpose", said.purpose);
  set("timeline", said.timeline);
  set("monthly_income", said.monthly_income);
  set("credit_type", said.credit_type);
  set("preapproved", said.preapproved);
  set("down_payment", said.down_payment);
  return patch;
}
