import { describe, expect, it } from "vitest";
import { decideStageMove, evaluateAutoAdvance, nextStage, stageRank, type LeadForAdvance } from "../../src/domain/pipeline";
import type { PipelineStage } from "../../src/domain/vocabulary";

describe("stage moves", () => {
  const cases: [PipelineStage, PipelineStage, boolean, boolean][] = [
    // from, to, force, allowed
    ["entrada", "perfilamiento", false, true],
    ["perfilamiento", "calificacion_financiera", false, true],
    ["calificacion_financiera", "agendado", false, true],
    ["agendado", "seguimiento", false, true],
    ["seguimiento", "ganado", false, true],
    ["entrada", "perdido", false, true],
    ["agendado", "perdido", false, true],
    ["entrada", "agendado", false, false], // skips
    ["entrada", "agendado", true, true],
    ["agendado", "perfilamiento", false, false], // goes back
    ["agendado", "perfilamiento", true, true],
    ["ganado", "seguimiento", false, false], // reopening
    ["perdido", "perfilamiento", false, false],
    ["perdido", "perfilamiento", true, true],
    ["ganado", "perdido", false, false],
    ["perfilamiento", "perfilamiento", true, false], // no-op even when forced
  ];
  it.each(cases)("%s → %s (force %s) allowed: %s", (from, to, force, allowed) => {
    expect(decideStageMove(from, to, force).allowed).toBe(allowed);
  });

  it("explains a refused move in Spanish and how to force it", () => {
    const decision = decideStageMove("entrada", "agendado", false);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.reason).toMatch(/salta etapas.*force/);
  });

  it("orders the main path and leaves perdido off it", () => {
    expect(stageRank("entrada")).toBe(0);
    expect(stageRank("ganado")).toBe(5);
    expect(stageRank("perdido")).toBe(-1);
    expect(nextStage("seguimiento")).toBe("ganado");
    expect(nextStage("ganado")).toBeNull();
    expect(nextStage("perdido")).toBeNull();
  });
});

describe("auto-advance conditions", () => {
  const now = new Date("2026-01-15T16:00:00Z");
  const base: LeadForAdvance = {
    pipeline_stage: "entrada",
    budget_min: null,
    budget_max: null,
    location: null,
    property_type: null,
    financially_approved: false,
    phone: null,
  };
  const noFacts = { hasReplied: false, appointment: null };
  const codes = (evaluation: ReturnType<typeof evaluateAutoAdvance>) => (evaluation.ready ? [] : evaluation.missing.map((m) => m.code));

  it("entrada needs a first reply", () => {
    expect(codes(evaluateAutoAdvance(base, noFacts, now))).toEqual(["first_reply"]);
    expect(evaluateAutoAdvance(base, { ...noFacts, hasReplied: true }, now)).toEqual({ ready: true, to: "perfilamiento" });
  });

  it("perfilamiento needs budget, location and property type, and names each missing one", () => {
    const lead = { ...base, pipeline_stage: "perfilamiento" as const };
    expect(codes(evaluateAutoAdvance(lead, noFacts, now))).toEqual(["budget", "location", "property_type"]);
    expect(codes(evaluateAutoAdvance({ ...lead, budget_max: 3_000_000, location: "Roma" }, noFacts, now))).toEqual(["property_type"]);
    expect(
      evaluateAutoAdvance({ ...lead, budget_min: 2_000_000, location: "Roma", property_type: "departamento" }, noFacts, now),
    ).toEqual({ ready: true, to: "calificacion_financiera" });
  });

  it("calificacion_financiera needs approval and a scheduled appointment", () => {
    const lead = { ...base, pipeline_stage: "calificacion_financiera" as const };
    const appointment = { starts_at: new Date("2026-01-16T16:00:00Z"), ends_at: new Date("2026-01-16T17:00:00Z"), status: "scheduled" };
    expect(codes(evaluateAutoAdvance(lead, noFacts, now))).toEqual(["financial_approval", "appointment"]);
    expect(codes(evaluateAutoAdvance({ ...lead, financially_approved: true }, noFacts, now))).toEqual(["appointment"]);
    expect(evaluateAutoAdvance({ ...lead, financially_approved: true }, { hasReplied: true, appointment }, now).ready).toBe(true);
  });

  it("agendado moves to seguimiento only after the appointment ended", () => {
    const lead = { ...base, pipeline_stage: "agendado" as const };
    const appointment = { starts_at: new Date("2026-01-15T15:30:00Z"), ends_at: new Date("2026-01-15T16:30:00Z"), status: "scheduled" };
    expect(codes(evaluateAutoAdvance(lead, { hasReplied: true, appointment }, now))).toEqual(["appointment_passed"]);
    const later = new Date("2026-01-15T16:30:00Z");
    expect(evaluateAutoAdvance(lead, { hasReplied: true, appointment }, later)).toEqual({ ready: true, to: "seguimiento" });
  });

  it("never closes a deal by itself, and closed leads have nowhere to go", () => {
    expect(codes(evaluateAutoAdvance({ ...base, pipeline_stage: "seguimiento" }, noFacts, now))).toEqual(["manual_close"]);
    expect(codes(evaluateAutoAdvance({ ...base, pipeline_stage: "perdido" }, noFacts, now))).toEqual(["closed"]);
  });
});
