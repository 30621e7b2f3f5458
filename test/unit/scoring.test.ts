import { describe, expect, it } from "vitest";
import { computeLeadScore, explainLeadScore, newLeadScore, SCORE_GROUPS, type EngagementFacts, type ScoreInput } from "../../src/domain/scoring";

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

describe("the score explained line by line", () => {
  const profile: ScoreInput = { ...empty, budget_max: 3e6, location: "Roma", property_type: "casa", phone: "+525512345678", timeline: "3 meses", bedrooms: 2, purpose: "compra" };
  const cases: { name: string; lead: ScoreInput; engagement: EngagementFacts; total: number }[] = [
    { name: "nothing known", lead: empty, engagement: quiet, total: 0 },
    { name: "a full profile", lead: profile, engagement: quiet, total: 40 },
    { name: "a full profile with cash and income, approved", lead: { ...profile, financially_approved: true, credit_type: "contado", monthly_income: 80_000 }, engagement: quiet, total: 75 },
    { name: "an infonavit credit only", lead: { ...empty, credit_type: "infonavit" }, engagement: quiet, total: 8 },
    { name: "another credit", lead: { ...empty, credit_type: "otro" }, engagement: quiet, total: 4 },
    { name: "an e-mail counts as contact", lead: { ...empty, email: "ana@example.com" }, engagement: quiet, total: 6 },
    { name: "a zero income earns nothing", lead: { ...empty, monthly_income: 0 }, engagement: quiet, total: 0 },
    { name: "three messages and an answered call", lead: empty, engagement: { inboundMessages: 3, answeredCalls: 1, hasAppointment: false }, total: 11 },
    { name: "messages capped at five", lead: empty, engagement: { inboundMessages: 50, answeredCalls: 0, hasAppointment: false }, total: 10 },
    { name: "an appointment", lead: empty, engagement: { inboundMessages: 0, answeredCalls: 0, hasAppointment: true }, total: 10 },
    { name: "opted out: no engagement", lead: { ...profile, opted_out: true }, engagement: { inboundMessages: 5, answeredCalls: 1, hasAppointment: true }, total: 40 },
    {
      name: "everything",
      lead: { ...profile, financially_approved: true, credit_type: "contado", monthly_income: 1 },
      engagement: { inboundMessages: 9, answeredCalls: 2, hasAppointment: true },
      total: 100,
    },
  ];

  it.each(cases)("$name: the lines add up to the score ($total)", ({ lead, engagement, total }) => {
    const lines = explainLeadScore(lead, engagement);
    expect(lines.reduce((sum, line) => sum + line.points, 0)).toBe(total);
    expect(computeLeadScore(lead, engagement)).toBe(total);
    for (const line of lines) {
      expect(line.points).toBeGreaterThanOrEqual(0);
      expect(line.points).toBeLessThanOrEqual(line.max);
    }
  });

  it("its maxima are the documented parts: profile 40, financing 35, engagement 25, 100 in all", () => {
    const lines = explainLeadScore(empty, quiet);
    const maxOf = (group: string) => lines.filter((line) => line.group === group).reduce((sum, line) => sum + line.max, 0);
    expect(SCORE_GROUPS.map(maxOf)).toEqual([40, 35, 25]);
  });
});
