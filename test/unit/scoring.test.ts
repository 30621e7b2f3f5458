import { describe, expect, it } from "vitest";
import { computeLeadScore, newLeadScore, type ScoreInput } from "../../src/domain/scoring";

const empty: ScoreInput = {
  budget_min: null,
  budget_max: null,
  location: null,
  property_type: null,
  phone: null,
  email: null,
  timeline: null,
  bedrooms: null,
  purpose: null,
  financially_approved: false,
  credit_type: null,
  monthly_income: null,
  opted_out: false,
};
const quiet = { inboundMessages: 0, answeredCalls: 0, hasAppointment: false };

describe("lead score", () => {
  it("is 0 for a lead we know nothing about", () => {
    expect(computeLeadScore(empty, quiet)).toBe(0);
  });

  it("adds the documented points per part", () => {
    const profile = { ...empty, budget_max: 3e6, location: "Roma", property_type: "casa", phone: "+525512345678", timeline: "3 meses", bedrooms: 2, purpose: "compra" };
    expect(computeLeadScore(profile, quiet)).toBe(40);
    expect(computeLeadScore({ ...profile, financially_approved: true, credit_type: "contado", monthly_income: 80_000 }, quiet)).toBe(75);
    expect(computeLeadScore({ ...empty, credit_type: "infonavit" }, quiet)).toBe(8);
    expect(computeLeadScore(empty, { inboundMessages: 3, answeredCalls: 1, hasAppointment: false })).toBe(11);
  });

  it("caps engagement from messages at five and the total at 100", () => {
    expect(computeLeadScore(empty, { inboundMessages: 50, answeredCalls: 0, hasAppointment: false })).toBe(10);
    const full = { ...empty, budget_max: 1, location: "x", property_type: "x", phone: "+525512345678", timeline: "x", bedrooms: 1, purpose: "compra", financially_approved: true, credit_type: "contado" as const, monthly_income: 1 };
    expect(computeLeadScore(full, { inboundMessages: 9, answeredCalls: 2, hasAppointment: true })).toBe(100);
  });

  it("drops engagement when the lead opted out", () => {
    expect(computeLeadScore({ ...empty, opted_out: true }, { inboundMessages: 5, answeredCalls: 1, hasAppointment: true })).toBe(0);
  });

  it("scores a lead about to be created as its row will be scored, absent fields counting as empty", () => {
    expect(newLeadScore({})).toBe(0);
    expect(newLeadScore({ phone: "+525512345678", budget_max: 3e6 })).toBe(computeLeadScore({ ...empty, phone: "+525512345678", budget_max: 3e6 }, quiet));
    expect(newLeadScore({ budget_min: null, bedrooms: 0, credit_type: "contado", opted_out: true })).toBe(15);
  });
});
