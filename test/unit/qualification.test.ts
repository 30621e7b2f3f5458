import { describe, expect, it } from "vitest";
import { decideApproval, isProfileComplete, missingFinance, missingProfile, type LeadProfile } from "../../src/domain/qualification";
import { mergeFacts, type KnownFacts } from "../../src/domain/fact-merge";

const blank: LeadProfile = {
  pipeline_stage: "perfilamiento",
  budget_min: null,
  budget_max: null,
  location: null,
  property_type: null,
  purpose: null,
  bedrooms: null,
  timeline: null,
  monthly_income: null,
  credit_type: null,
  preapproved: null,
  down_payment: null,
};

describe("what the agents still need", () => {
  it("asks the profile in order and is complete with type, location and budget", () => {
    expect(missingProfile(blank).slice(0, 3)).toEqual(["property_type", "location", "budget"]);
    const profile = { ...blank, property_type: "departamento", location: "Roma", budget_max: 3e6 };
    expect(isProfileComplete(profile)).toBe(true);
    expect(missingProfile(profile)).toEqual(["purpose", "bedrooms", "timeline"]);
  });

  it("does not ask a cash buyer about income", () => {
    expect(missingFinance({ ...blank, credit_type: "contado" })).toEqual([]);
    expect(missingFinance({ ...blank, credit_type: "infonavit" })).toEqual(["monthly_income", "down_payment"]);
  });
});

describe("approval rule", () => {
  it("approves cash and reported pre-approval", () => {
    expect(decideApproval({ ...blank, credit_type: "contado" })).toMatchObject({ decided: true, approved: true });
    expect(decideApproval({ ...blank, preapproved: true })).toMatchObject({ decided: true, approved: true });
  });

  it("is undecided without credit type and income", () => {
    expect(decideApproval({ ...blank, credit_type: "bancario" })).toEqual({ decided: false, missing: ["monthly_income"] });
  });

  it("compares what the income can pay with the budget", () => {
    // 50,000 × 0.30 / 0.0103 ≈ 1,456,311 loan; / 0.9 ≈ 1,618,123 price.
    const income = { ...blank, credit_type: "bancario" as const, monthly_income: 50_000 };
    expect(decideApproval({ ...income, budget_max: 1_500_000 })).toMatchObject({ approved: true, max_price: 1_618_123 });
    expect(decideApproval({ ...income, budget_max: 3_000_000 })).toMatchObject({ approved: false });
    expect(decideApproval({ ...income, budget_max: 3_000_000, down_payment: 1_600_000 })).toMatchObject({ approved: true });
  });
});

describe("merging facts", () => {
  const known: KnownFacts = { ...blank, currency: "MXN", budget_min: 2e6, budget_max: 3e6, location: "Roma" };

  it("never erases a known fact with a missing one", () => {
    expect(mergeFacts(known, { property_type: "casa", location: null })).toEqual({ property_type: "casa" });
  });

  it("replaces the budget range as a whole when the lead corrects it", () => {
    expect(mergeFacts(known, { budget_max: 2.5e6 })).toEqual({ budget_min: null, budget_max: 2.5e6 });
    expect(mergeFacts(known, { budget_min: 2e6, budget_max: 3e6 })).toEqual({});
  });
});
