import { describe, expect, it } from "vitest";
import { canChangeCampaignStatus, triggerConditionProblems } from "../../src/domain/campaign-rules";

describe("trigger conditions", () => {
  it("accepts the guide's three examples", () => {
    expect(triggerConditionProblems("lead_score", { score_min: 20, score_max: 50 })).toEqual([]);
    expect(triggerConditionProblems("stage_change", { stage: "perfilamiento" })).toEqual([]);
    expect(triggerConditionProblems("inactivity", { inactivity_days: 30 })).toEqual([]);
  });

  it("names the field of each problem", () => {
    expect(triggerConditionProblems("stage_change", { stage: "nope" }).map((p) => p.path)).toEqual(["trigger_condition.stage"]);
    expect(triggerConditionProblems("lead_score", { score_min: 60, score_max: 50 }).map((p) => p.path)).toEqual(["trigger_condition.score_min"]);
    expect(triggerConditionProblems("lead_score", { score_min: -1, score_max: 101 }).map((p) => p.path)).toEqual([
      "trigger_condition.score_min",
      "trigger_condition.score_max",
    ]);
    expect(triggerConditionProblems("inactivity", { inactivity_days: 0 }).map((p) => p.path)).toEqual(["trigger_condition.inactivity_days"]);
    expect(triggerConditionProblems("inactivity", {}).length).toBe(1);
  });
});

describe("campaign status", () => {
  it.each([
    ["draft", "active", true],
    ["active", "paused", true],
    ["paused", "active", true],
    ["active", "archived", true],
    ["archived", "active", false],
    ["paused", "draft", false],
  ] as const)("%s → %s: %s", (from, to, allowed) => {
    expect(canChangeCampaignStatus(from, to)).toBe(allowed);
  });
});
