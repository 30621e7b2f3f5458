/** The rules a chat turn applies to what the agent asks for, whatever the agent (tables of cases, no I/O). */
import { describe, expect, it } from "vitest";
import type { Lead } from "../../db/schema";
import { checkToolCall, LEAD_TOOLS } from "../../src/agents/lead-tools";
import { slotChoiceId } from "../../src/domain/slot-choices";
import { startLeadTurn } from "../../src/services/lead-turn";

const thursday = new Date("2026-01-15T16:00:00.000Z");
const lead = (fields: Partial<Lead>) =>
  ({ id: 1, pipeline_stage: "calificacion_financiera", financially_approved: false, pending_choices: null, ...fields }) as Lead;
const turnOf = (fields: Partial<Lead>) => startLeadTurn(lead(fields), async () => ({ lead: lead(fields), learned: {}, moved: [], approval: null }));

describe("offering slots", () => {
  it.each([
    ["perfilamiento", false, /primero hay que completar el perfil/],
    ["calificacion_financiera", false, /falta completar la calificación financiera/],
    ["calificacion_financiera", true, null],
    ["agendado", true, /ya tiene una cita agendada/],
    ["seguimiento", true, /ya no se agendan citas por chat/],
  ] as const)("a lead in %s (approved: %s) → %s", (stage, approved, refusal) => {
    const turn = turnOf({ pipeline_stage: stage, financially_approved: approved });
    if (refusal) expect(() => turn.actions.offerSlots()).toThrow(refusal);
    else turn.actions.offerSlots();
    expect(turn.outcome().slots).toBe(refusal === null);
  });
});

describe("booking", () => {
  const offered = { financially_approved: true, pending_choices: [{ id: slotChoiceId(thursday), label: "jueves 15 de enero, 10:00" }] };

  it("the offered slots reach the agent with their 'inicio'", () => {
    expect(turnOf(offered).offered).toEqual([{ inicio: "2026-01-15T16:00:00.000Z", legible: "jueves 15 de enero, 10:00" }]);
  });

  it.each([
    ["the offered start", thursday, true],
    ["a start not offered", new Date("2026-01-15T17:00:00.000Z"), false],
  ])("%s → booked after the reply: %s", (_case, start, ok) => {
    const turn = turnOf(offered);
    if (ok) turn.actions.book(start);
    else expect(() => turn.actions.book(start)).toThrow(/no está entre los ofrecidos/);
    expect(turn.outcome().bookAt).toEqual(ok ? start : null);
  });

  it("nothing was offered: nothing can be booked", () => {
    expect(() => turnOf({ financially_approved: true }).actions.book(thursday)).toThrow(/no está entre los ofrecidos/);
  });
});

describe("the lead tools' arguments", () => {
  it.each([
    ["pedir_asesor", {}, true],
    ["dar_de_baja", {}, true],
    ["dar_de_baja", null, false],
    ["guardar_datos", { financially_approved: true, pipeline_stage: "ganado" }, true], // unknown fields are dropped
    ["agendar_cita", { inicio: "el jueves" }, false],
    ["aprobar_lead", {}, false],
    ["constructor", {}, false],
  ])("%s(%j) → valid %s", (name, args, valid) => {
    const checked = checkToolCall(LEAD_TOOLS, name, args);
    expect(checked.ok).toBe(valid);
    if (checked.ok && name === "guardar_datos") expect(checked.call.args).toEqual({});
  });
});
