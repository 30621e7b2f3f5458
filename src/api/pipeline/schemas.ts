import { z } from "zod";
import { PIPELINE_STAGES } from "../../domain/vocabulary";
import { pageOf, pageQuery, rowIdParam } from "../common-schemas";
import { leadSchema } from "../leads/schemas";

const stage = z.enum(PIPELINE_STAGES);

export const leadIdParams = z.object({ id: rowIdParam });
export const stageParams = z.object({ stage });

export const moveStageBody = z
  .strictObject({
    new_stage: stage,
    reason: z.string().trim().max(500).nullable().optional(),
    force: z.boolean().optional().describe("Permite saltar etapas, retroceder o reabrir un lead cerrado"),
  })
  .meta({ id: "MoveStage" });

export const stageChangeResponse = z.object({
  lead: leadSchema,
  from_stage: stage,
  to_stage: stage,
});

export const autoAdvanceResponse = z
  .object({
    moved: z.boolean(),
    from_stage: stage,
    to_stage: stage.nullable().describe("La etapa a la que se movió, o la que se evaluó si no se movió"),
    missing: z.array(z.object({ code: z.string(), message: z.string() })),
    lead: leadSchema,
  })
  .meta({ id: "AutoAdvanceResult" });

export const stagePageQuery = z.object(pageQuery);
export const stagePage = pageOf(leadSchema).extend({ stage });

export const inactiveQuery = z.object({
  inactivity_days: z.coerce.number().min(1).default(7),
  ...pageQuery,
});
export const inactivePage = stagePage.extend({ inactivity_days: z.number(), inactive_since: z.date() });

const ratio = z.number().min(0).max(1).nullable();

export const metricsResponse = z
  .object({
    generated_at: z.date(),
    totals: z.object({ leads: z.number().int(), open: z.number().int(), won: z.number().int(), lost: z.number().int(), win_rate: ratio }),
    stages: z.array(
      z.object({
        stage,
        count: z.number().int(),
        share: ratio,
        avg_days_in_stage: z.number().nullable(),
        median_days_in_stage: z.number().nullable(),
        reached: z.number().int().describe("Leads que alguna vez llegaron a esta etapa (o más allá)"),
        conversion_to_next: ratio,
      }),
    ),
  })
  .meta({ id: "PipelineMetrics" });
