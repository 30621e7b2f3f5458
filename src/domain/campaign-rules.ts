/**
 * What a campaign's trigger condition must look like for each trigger, and the
 * campaign status moves that are allowed. Pure: the API and the services both
 * ask here.
 */
import { z } from "zod";
import { PIPELINE_STAGES, type CampaignStatus, type CampaignTrigger } from "./vocabulary";
import type { Problem } from "../errors";

const score = z.number().int().min(0).max(100);

export const triggerConditionSchemas = {
  stage_change: z.strictObject({ stage: z.enum(PIPELINE_STAGES) }),
  lead_score: z
    .strictObject({ score_min: score, score_max: score })
    .refine((c) => c.score_min <= c.score_max, { message: "score_min debe ser menor o igual que score_max", path: ["score_min"] }),
  inactivity: z.strictObject({ inactivity_days: z.number().min(1) }),
} satisfies Record<CampaignTrigger, z.ZodType>;

export type TriggerCondition =
  | { triggered_by: "stage_change"; trigger_condition: z.infer<(typeof triggerConditionSchemas)["stage_change"]> }
  | { triggered_by: "lead_score"; trigger_condition: z.infer<(typeof triggerConditionSchemas)["lead_score"]> }
  | { triggered_by: "inactivity"; trigger_condition: z.infer<(typeof triggerConditionSchemas)["inactivity"]> };

/** The problems of `condition` for `trigger`, with paths under `trigger_condition`. Empty when valid. */
export function triggerConditionProblems(trigger: CampaignTrigger, condition: unknown): Problem[] {
  const parsed = triggerConditionSchemas[trigger].safeParse(condition);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    path: ["trigger_condition", ...issue.path].join("."),
    message: issue.message,
  }));
}

/** A stored campaign's trigger, typed; null if its condition does not match its trigger (never, for validated rows). */
export function parseTrigger(campaign: { triggered_by: CampaignTrigger; trigger_condition: unknown }): TriggerCondition | null {
  const parsed = triggerConditionSchemas[campaign.triggered_by].safeParse(campaign.trigger_condition);
  return parsed.success ? ({ triggered_by: campaign.triggered_by, trigger_condition: parsed.data } as TriggerCondition) : null;
}

const STATUS_MOVES: Record<CampaignStatus, readonly CampaignStatus[]> = {
  draft: ["active", "archived"],
  active: ["paused", "archived"],
  paused: ["active", "archived"],
  archived: [],
};

export function canChangeCampaignStatus(from: CampaignStatus, to: CampaignStatus): boolean {
  return from === to || STATUS_MOVES[from].includes(to);
}
