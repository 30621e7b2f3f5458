import { describe, expect, it } from "vitest";
import { isQuietTime, parseQuietHours, quietWindowEnd } from "../../src/domain/quiet-hours";
import { enrollmentExitReason, triggerKeys } from "../../src/domain/enrollment-rules";

const MX = "America/Mexico_City"; // UTC-6, no daylight saving time since 2022
const window = parseQuietHours("21:00-09:00");

describe("quiet hours", () => {
  it.each([
    ["2026-01-16T02:59:00Z", false], // 20:59 local
    ["2026-01-16T03:00:00Z", true], // 21:00
    ["2026-01-16T08:00:00Z", true], // 02:00
    ["2026-01-16T14:59:00Z", true], // 08:59
    ["2026-01-16T15:00:00Z", false], // 09:00
  ])("%s quiet: %s", (at, quiet) => {
    expect(isQuietTime(new Date(at), MX, window)).toBe(quiet);
  });

  it("ends at the next opening in the lead's zone", () => {
    expect(quietWindowEnd(new Date("2026-01-16T04:30:00Z"), MX, window).toISOString()).toBe("2026-01-16T15:00:00.000Z");
    expect(quietWindowEnd(new Date("2026-01-16T04:30:00Z"), "America/Bogota", window).toISOString()).toBe("2026-01-16T14:00:00.000Z");
    const open = new Date("2026-01-16T18:00:00Z");
    expect(quietWindowEnd(open, MX, window)).toBe(open);
  });

  it("handles a window inside one day and can be turned off", () => {
    const lunch = parseQuietHours("14:00-16:00");
    expect(isQuietTime(new Date("2026-01-16T20:30:00Z"), MX, lunch)).toBe(true); // 14:30
    expect(isQuietTime(new Date("2026-01-16T23:00:00Z"), MX, lunch)).toBe(false); // 17:00
    expect(parseQuietHours("")).toBeNull();
    expect(isQuietTime(new Date("2026-01-16T04:00:00Z"), MX, null)).toBe(false);
  });
});

describe("enrollment exits", () => {
  const entered = new Date("2026-01-10T10:00:00Z");
  const lead = { pipeline_stage: "entrada" as const, opted_out: false, last_activity_at: entered };
  const stageTrigger = { triggered_by: "stage_change" as const, trigger_condition: { stage: "entrada" as const } };
  const enrollment = { trigger_key: triggerKeys.stageEntry(entered), moved_by_own_step: false };

  it("keeps a lead that still qualifies", () => {
    expect(enrollmentExitReason(stageTrigger, lead, enrollment)).toBeNull();
  });

  it("ends on opt-out, on closing, and on leaving the stage unless the campaign moved it", () => {
    expect(enrollmentExitReason(stageTrigger, { ...lead, opted_out: true }, enrollment)).toMatch(/no recibir/);
    expect(enrollmentExitReason(stageTrigger, { ...lead, pipeline_stage: "ganado" }, enrollment)).toMatch(/ganado/);
    expect(enrollmentExitReason(stageTrigger, { ...lead, pipeline_stage: "perfilamiento" }, enrollment)).toMatch(/salió/);
    expect(enrollmentExitReason(stageTrigger, { ...lead, pipeline_stage: "perfilamiento" }, { ...enrollment, moved_by_own_step: true })).toBeNull();
  });

  it("ends an inactivity enrollment when the lead is active again", () => {
    const trigger = { triggered_by: "inactivity" as const, trigger_condition: { inactivity_days: 7 } };
    const spell = { trigger_key: triggerKeys.inactiveSpell(entered), moved_by_own_step: false };
    expect(enrollmentExitReason(trigger, lead, spell)).toBeNull();
    expect(enrollmentExitReason(trigger, { ...lead, last_activity_at: new Date("2026-01-20T00:00:00Z") }, spell)).toMatch(/activo/);
  });
});
