import { describe, expect, it } from "vitest";
import { decideStageMove, evaluateAutoAdvance, nextStage, stageRank, type LeadForAdvance } from "../../src/domain/pipeline";
import type { PipelineStage } from "../../src/domain/vocabulary";
import { ConflictError, StageMoveRefusedError } from "../../src/errors";

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

  it("explains a refused move in Spanish, and apart from it how the API forces it", () => {
    const decision = decideStageMove("entrada", "agendado", false);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) {
      expect(decision.reason).toBe("El movimiento de Entrada a Agendado salta etapas; la siguiente etapa es Perfilamiento.");
      expect(decision.forceable).toBe(true);
    }
  });

  // The API answers reason + hint: these texts are its answers today, kept byte for byte.
  const refusals: [PipelineStage, PipelineStage, string, string, boolean][] = [
    ["entrada", "agendado", "El movimiento de Entrada a Agendado salta etapas; la siguiente etapa es Perfilamiento.", ' Para forzarlo usa "force": true', true],
    ["agendado", "perfilamiento", "El movimiento de Agendado a Perfilamiento retrocede; la siguiente etapa es Seguimiento.", ' Para forzarlo usa "force": true', true],
    ["ganado", "seguimiento", "El lead está cerrado como Ganado", '; para reabrirlo usa "force": true', true],
    ["perfilamiento", "perfilamiento", "El lead ya está en la etapa Perfilamiento", "", false],
  ];
  it.each(refusals)("%s → %s is refused as the API always said it", (from, to, reason, hint, forceable) => {
    const decision = decideStageMove(from, to, false);
    if (decision.allowed) throw new Error("allowed");
    expect(decision).toEqual({ allowed: false, reason, forceable, forceHint: hint || null });
    const error = new StageMoveRefusedError(decision.reason, decision.forceable, decision.forceHint);
    expect(error.message).toBe(reason + hint);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.code).toBe("conflict");
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
