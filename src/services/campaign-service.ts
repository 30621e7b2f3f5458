/** Campaign definitions: create, edit, status changes, steps, stats and logs. Running them is the campaign engine's job. */
import {
  countCampaignFigures,
  countDeliveriesByStatus,
  countEnrollmentsByStatus,
  countLeadsContacted,
  countLogsByStepAndStatus,
  deleteStepRow,
  findCampaign,
  findCampaignToChange,
  findStep,
  insertCampaign,
  insertStep,
  listCampaignLogTimes,
  listCampaigns,
  listLogs,
  listSteps,
  stepNumberTaken,
  updateCampaignRow,
  updateStepRow,
  type LogFilter,
} from "../../db/repositories/campaigns-repository";
import { findTemplate } from "../../db/repositories/templates-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import type { Executor } from "../../db/executor";
import type { Campaign, CampaignStep } from "../../db/schema";
import { ConflictError, NotFoundError, ValidationError, type Problem } from "../errors";
import { canChangeCampaignStatus, triggerConditionProblems } from "../domain/campaign-rules";
import { bucketByLocalDay, lastLocalDays } from "../domain/daily-buckets";
import type {
  AgentType,
  CampaignStatus,
  CampaignStepAction,
  CampaignTrigger,
  Channel,
  PipelineStage,
} from "../domain/vocabulary";
import type { Actor, ServiceDeps } from "./context";
import { MESSAGE_STATUSES, type MessageStatus } from "../domain/vocabulary";

export interface CampaignFields {
  name: string;
  description?: string | null | undefined;
  channel: Channel;
  triggered_by: CampaignTrigger;
  trigger_condition: Record<string, unknown>;
  status?: CampaignStatus | undefined;
}

export interface StepFields {
  step_number: number;
  action: CampaignStepAction;
  message_template_id?: number | null | undefined;
  target_stage?: PipelineStage | null | undefined;
  agent_type?: AgentType | null | undefined;
  delay_hours: number;
}

/** Runs after the change committed; the caller waits for it (activation enrolls the waiting leads). */
export type CampaignStatusListener = (campaign: Campaign, previous: CampaignStatus) => Promise<void>;

export function createCampaignService({ db, clock, timeZone }: ServiceDeps) {
  const statusListeners: CampaignStatusListener[] = [];

  async function requireCampaign(tx: Executor, id: number): Promise<Campaign> {
    const campaign = await findCampaign(tx, id);
    if (!campaign) throw new NotFoundError("una campaña", id);
    return campaign;
  }

  /** The campaign inside the transaction that changes it or its steps: such changes of one campaign run one after another. */
  async function requireCampaignToChange(tx: Executor, id: number): Promise<Campaign> {
    const campaign = await findCampaignToChange(tx, id);
    if (!campaign) throw new NotFoundError("una campaña", id);
    return campaign;
  }

  /** A step may change or go only while no lead can be running it: in draft or paused. */
  async function requireEditableSteps(tx: Executor, campaignId: number): Promise<Campaign> {
    const campaign = await requireCampaignToChange(tx, campaignId);
    if (campaign.status === "active") throw new ConflictError("La campaña está activa: páusala para cambiar o quitar sus pasos");
    if (campaign.status === "archived") throw new ConflictError("La campaña está archivada y no se puede modificar");
    return campaign;
  }

  async function requireStep(tx: Executor, campaignId: number, stepId: number): Promise<CampaignStep> {
    const step = await findStep(tx, campaignId, stepId);
    if (!step) throw new NotFoundError(`un paso de la campaña ${campaignId}`, stepId);
    return step;
  }

  async function assertStatusChange(tx: Executor, campaign: Campaign, to: CampaignStatus): Promise<void> {
    if (!canChangeCampaignStatus(campaign.status, to)) {
      throw new ConflictError(`Una campaña en estado ${campaign.status} no puede pasar a ${to}`);
    }
    if (to === "active" && (await listSteps(tx, campaign.id)).length === 0) {
      throw new ConflictError("La campaña no tiene pasos: agrega al menos uno antes de activarla");
    }
  }

  return {
    /** Called after a campaign's status changed (the engine enrolls leads on activation). */
    onStatusChanged(listener: CampaignStatusListener): void {
      statusListeners.push(listener);
    },

    createCampaign(fields: CampaignFields, actor: Actor): Promise<Campaign> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const problems = triggerConditionProblems(fields.triggered_by, fields.trigger_condition);
        if (problems.length) throw new ValidationError(problems);
        // A campaign is born a draft: it has no steps yet, so it cannot run.
        if (fields.status && fields.status !== "draft") {
          throw new ValidationError([{ path: "status", message: "Una campaña nueva empieza en draft; actívala cuando tenga pasos" }]);
        }
        const campaign = await insertCampaign(tx, {
          name: fields.name,
          description: fields.description ?? null,
          channel: fields.channel,
          triggered_by: fields.triggered_by,
          trigger_condition: fields.trigger_condition,
          status: "draft",
          created_at: now,
          updated_at: now,
        });
        await insertAudit(tx, { actor, action: "campaign.create", entity: "campaign", entity_id: campaign.id, after: campaign }, now);
        return campaign;
      });
    },

    listCampaigns: () => db.run((q) => listCampaigns(q)),

    getCampaignWithSteps(id: number) {
      return db.run(async (q) => {
        const campaign = await requireCampaign(q, id);
        return { ...campaign, steps: await listSteps(q, id) };
      });
    },

    async updateCampaign(id: number, fields: Partial<CampaignFields>, actor: Actor) {
      const result = await db.transaction(async (tx) => {
        const now = clock.now();
        const before = await requireCampaignToChange(tx, id);
        if (before.status === "archived") throw new ConflictError("La campaña está archivada y no se puede modificar");
        const triggeredBy = fields.triggered_by ?? before.triggered_by;
        const condition = fields.trigger_condition ?? before.trigger_condition;
        const problems: Problem[] = [];
        if (fields.triggered_by !== undefined || fields.trigger_condition !== undefined) {
          problems.push(...triggerConditionProblems(triggeredBy, condition));
        }
        if (fields.channel && fields.channel !== before.channel) {
          problems.push(...(await templateChannelProblems(tx, await listSteps(tx, id), fields.channel)));
        }
        if (problems.length) throw new ValidationError(problems);
        if (fields.status && fields.status !== before.status) await assertStatusChange(tx, before, fields.status);

        const statusChanged = fields.status !== undefined && fields.status !== before.status;
        const updated = await updateCampaignRow(tx, id, {
          ...(fields.name !== undefined && { name: fields.name }),
          ...(fields.description !== undefined && { description: fields.description }),
          ...(fields.channel !== undefined && { channel: fields.channel }),
          triggered_by: triggeredBy,
          trigger_condition: condition,
          ...(statusChanged && { status: fields.status }),
          ...(statusChanged && fields.status === "active" && { activated_at: now }),
          updated_at: now,
        });
        await insertAudit(tx, { actor, action: "campaign.update", entity: "campaign", entity_id: id, before, after: updated }, now);
        return { campaign: updated, previous: before.status };
      });
      if (result.campaign.status !== result.previous) {
        for (const listener of statusListeners) await listener(result.campaign, result.previous);
      }
      return { ...result.campaign, steps: await db.run((q) => listSteps(q, id)) };
    },

    addStep(campaignId: number, fields: StepFields, actor: Actor): Promise<CampaignStep> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const campaign = await requireCampaignToChange(tx, campaignId);
        if (campaign.status === "archived") throw new ConflictError("La campaña está archivada: no admite pasos nuevos");
        const problems: Problem[] = [];
        if (await stepNumberTaken(tx, campaignId, fields.step_number)) {
          problems.push({ path: "step_number", message: `La campaña ya tiene un paso ${fields.step_number}` });
        }
        problems.push(...(await stepProblems(tx, fields, campaign.channel)));
        if (problems.length) throw new ValidationError(problems);
        const step = await insertStep(tx, { campaign_id: campaignId, ...stepValues(fields), created_at: now });
        await insertAudit(tx, { actor, action: "campaign.add_step", entity: "campaign", entity_id: campaignId, after: step }, now);
        return step;
      });
    },

    /** Rewrites a step (all its fields); only while the campaign is draft or paused. */
    updateStep(campaignId: number, stepId: number, fields: StepFields, actor: Actor): Promise<CampaignStep> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const campaign = await requireEditableSteps(tx, campaignId);
        const before = await requireStep(tx, campaignId, stepId);
        const problems: Problem[] = [];
        if (fields.step_number !== before.step_number && (await stepNumberTaken(tx, campaignId, fields.step_number))) {
          problems.push({ path: "step_number", message: `La campaña ya tiene un paso ${fields.step_number}` });
        }
        problems.push(...(await stepProblems(tx, fields, campaign.channel)));
        if (problems.length) throw new ValidationError(problems);
        const step = await updateStepRow(tx, stepId, stepValues(fields));
        await insertAudit(tx, { actor, action: "campaign.update_step", entity: "campaign", entity_id: campaignId, before, after: step }, now);
        return step;
      });
    },

    /** Removes a step; only while the campaign is draft or paused. Leads waiting on it go on to the next one. */
    removeStep(campaignId: number, stepId: number, actor: Actor): Promise<void> {
      return db.transaction(async (tx) => {
        const now = clock.now();
        await requireEditableSteps(tx, campaignId);
        const before = await requireStep(tx, campaignId, stepId);
        await deleteStepRow(tx, stepId);
        await insertAudit(tx, { actor, action: "campaign.remove_step", entity: "campaign", entity_id: campaignId, before }, now);
      });
    },

    /** The campaigns with their number of steps, enrollments and steps that acted (succeeded or failed). */
    async listCampaignsWithFigures() {
      const { campaigns, figures } = await db.run(async (q) => ({ campaigns: await listCampaigns(q), figures: await countCampaignFigures(q) }));
      const byCampaign = (rows: { id: number; n: number }[]) => new Map(rows.map((row) => [row.id, Number(row.n)]));
      const steps = byCampaign(figures.steps);
      const enrollments = byCampaign(figures.enrollments);
      const executed = byCampaign(figures.executed);
      return campaigns.map((campaign) => ({
        ...campaign,
        steps: steps.get(campaign.id) ?? 0,
        enrolled: enrollments.get(campaign.id) ?? 0,
        executed: executed.get(campaign.id) ?? 0,
      }));
    },

    /** Steps that acted per local day (the agency's TZ) over the last `days` days, today included, oldest first. */
    async statsByDay(campaignId: number, days = 30) {
      const range = lastLocalDays(clock.now(), days, timeZone);
      const rows = await db.run(async (q) => {
        await requireCampaign(q, campaignId);
        return listCampaignLogTimes(q, campaignId, range.since);
      });
      const timesOf = (status: "success" | "failed") => rows.filter((row) => row.status === status).map((row) => row.executed_at);
      const success = bucketByLocalDay(timesOf("success"), range.days, timeZone);
      const failed = bucketByLocalDay(timesOf("failed"), range.days, timeZone);
      return {
        campaign_id: campaignId,
        time_zone: timeZone,
        days: success.map(({ day, count }, i) => ({ day, executed: count + failed[i]!.count, success: count, failed: failed[i]!.count })),
      };
    },

    async stats(campaignId: number) {
      const { campaign, rows, enrollmentRows, deliveryRows, leadsContacted } = await db.run(async (q) => ({
        campaign: await requireCampaign(q, campaignId),
        rows: await countLogsByStepAndStatus(q, campaignId),
        enrollmentRows: await countEnrollmentsByStatus(q, campaignId),
        deliveryRows: await countDeliveriesByStatus(q, campaignId),
        leadsContacted: await countLeadsContacted(q, campaignId),
      }));
      const steps = new Map<number, { step_number: number; action: string; success: number; failed: number; skipped: number; in_flight: number; needs_review: number }>();
      for (const row of rows) {
        const entry = steps.get(row.step_number) ?? { step_number: row.step_number, action: row.action, success: 0, failed: 0, skipped: 0, in_flight: 0, needs_review: 0 };
        entry[row.status] += row.n;
        if (row.needs_review) entry.needs_review += row.n;
        steps.set(row.step_number, entry);
      }
      const perStep = [...steps.values()].sort((a, b) => a.step_number - b.step_number);
      const succeeded = perStep.reduce((sum, s) => sum + s.success, 0);
      const failed = perStep.reduce((sum, s) => sum + s.failed, 0);
      const executed = succeeded + failed;
      const enrollments = { active: 0, completed: 0, exited: 0 };
      for (const row of enrollmentRows) enrollments[row.status] = row.n;
      const deliveries = Object.fromEntries(MESSAGE_STATUSES.map((status) => [status, 0])) as Record<MessageStatus, number>;
      for (const row of deliveryRows) if (row.status in deliveries) deliveries[row.status as MessageStatus] = row.n;
      return {
        campaign_id: campaignId,
        channel: campaign.channel,
        total_steps_executed: executed,
        unique_leads_contacted: leadsContacted,
        success_rate: executed === 0 ? 0 : succeeded / executed,
        failure_rate: executed === 0 ? 0 : failed / executed,
        skipped: perStep.reduce((sum, s) => sum + s.skipped, 0),
        // May or may not have happened (a message whose delivery is unknown, a crash mid-step): a person checks.
        needs_review: perStep.reduce((sum, s) => sum + s.needs_review, 0),
        steps: perStep,
        enrollments,
        deliveries,
      };
    },

    logs(campaignId: number, filter: LogFilter) {
      return db.run(async (q) => {
        await requireCampaign(q, campaignId);
        return listLogs(q, campaignId, filter);
      });
    },
  };
}

export type CampaignService = ReturnType<typeof createCampaignService>;

/** A step's columns from its fields: only what its action uses is kept. */
function stepValues(fields: StepFields) {
  return {
    step_number: fields.step_number,
    action: fields.action,
    message_template_id: fields.action === "send_message" ? (fields.message_template_id ?? null) : null,
    target_stage: fields.action === "update_stage" ? (fields.target_stage ?? null) : null,
    agent_type: fields.action === "start_call" ? (fields.agent_type ?? "perfilador") : null,
    delay_hours: fields.delay_hours,
  };
}

/** What a step needs, by action: a template of the campaign's channel, a stage, or nothing more. */
async function stepProblems(tx: Executor, fields: StepFields, channel: Channel): Promise<Problem[]> {
  switch (fields.action) {
    case "send_message": {
      if (fields.message_template_id == null) {
        return [{ path: "message_template_id", message: "send_message necesita message_template_id" }];
      }
      const template = await findTemplate(tx, fields.message_template_id);
      if (!template) return [{ path: "message_template_id", message: `No existe la plantilla ${fields.message_template_id}` }];
      if (template.channel !== channel) {
        return [{ path: "message_template_id", message: `La plantilla es del canal ${template.channel} y la campaña de ${channel}` }];
      }
      return [];
    }
    case "update_stage":
      return fields.target_stage == null ? [{ path: "target_stage", message: "update_stage necesita target_stage" }] : [];
    case "start_call":
      return [];
  }
}

async function templateChannelProblems(tx: Executor, steps: CampaignStep[], channel: Channel): Promise<Problem[]> {
  // One template after another: a transaction's statements run in sequence.
  const problems: Problem[] = [];
  for (const step of steps) {
    if (step.message_template_id !== null && (await findTemplate(tx, step.message_template_id))?.channel !== channel) {
      problems.push({ path: "channel", message: `El paso ${step.step_number} envía una plantilla de otro canal` });
    }
  }
  return problems;
}
