/**
 * What each campaign step does: send a templated message, move the stage, or
 * ask for an AI call. Each returns an outcome for the log; none throws for an
 * expected failure.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { updateLeadRow } from "../../db/repositories/leads-repository";
import { createStepRunQueries } from "../../db/repositories/step-run-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import { campaignEnrollments, type Campaign, type CampaignStep, type Lead } from "../../db/schema";
import { PermanentDeliveryError, TransientDeliveryError, type TextSender } from "../channels/telegram-sender";
import type { Clock } from "../clock";
import { renderTemplate, templateValuesFor } from "../domain/templates";
import { DomainError, UnavailableError } from "../errors";
import type { Logger } from "../logger";
import type { CallService } from "../services/call-service";
import type { PipelineService } from "../services/pipeline-service";
import type { AgentType } from "../domain/vocabulary";

export type StepOutcome =
  | { status: "success"; attempts: number; detail?: Record<string, unknown> }
  | { status: "skipped"; attempts: number; error: string; detail?: Record<string, unknown> }
  | { status: "failed"; attempts: number; error: string; detail?: Record<string, unknown> };

export interface StepContext {
  campaign: Campaign;
  step: CampaignStep;
  lead: Lead;
  enrollmentId: number;
}

export interface StepActionDeps {
  db: Db;
  clock: Clock;
  timeZone: string;
  pipeline: PipelineService;
  calls: CallService;
  /** Null when TELEGRAM_BOT_TOKEN is not set. */
  telegram: TextSender | null;
  /** Attempts for a transient failure (network, 5xx left over after auto-retry). */
  maxAttempts: number;
  retryBaseMs: number;
  log: Logger;
}

export function campaignActor(campaignId: number): string {
  return `campaign:${campaignId}`;
}

export function createStepActions(deps: StepActionDeps) {
  const { db, clock, log } = deps;
  const q = createStepRunQueries(db);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function sendMessage({ campaign, step, lead }: StepContext): Promise<StepOutcome> {
    if (!deps.telegram) return { status: "skipped", attempts: 0, error: "Telegram no está configurado (TELEGRAM_BOT_TOKEN)" };
    if (lead.telegram_chat_id === null) return { status: "skipped", attempts: 0, error: "El lead no tiene chat de Telegram" };
    if (lead.telegram_unreachable_at) {
      return { status: "skipped", attempts: 0, error: `El lead no es alcanzable por Telegram: ${lead.telegram_unreachable_reason ?? ""}`.trim() };
    }
    const template = step.message_template_id === null ? undefined : q.template(step.message_template_id);
    if (!template) return { status: "failed", attempts: 0, error: `La plantilla ${step.message_template_id} ya no existe` };

    const appointment = q.currentAppointment(lead.id, clock.now());
    const { text, missing } = renderTemplate(template.content, templateValuesFor(lead, appointment, deps.timeZone));
    const chatId = lead.telegram_chat_id;

    for (let attempt = 1; ; attempt++) {
      try {
        const sent = await deps.telegram.sendText(chatId, text);
        q.insertOutboundMessage({
          leadId: lead.id,
          channel: campaign.channel,
          agentType: template.agent_type,
          text,
          externalId: String(sent.message_id),
          at: clock.now(),
        });
        return { status: "success", attempts: attempt, detail: { template_id: template.id, message_id: sent.message_id, missing_variables: missing } };
      } catch (error) {
        if (error instanceof PermanentDeliveryError) {
          if (error.chatUnreachable) markTelegramUnreachable(lead, error.message);
          return { status: "failed", attempts: attempt, error: error.message };
        }
        if (error instanceof TransientDeliveryError && attempt < deps.maxAttempts) {
          const wait = deps.retryBaseMs * 2 ** (attempt - 1);
          log.warn({ lead_id: lead.id, campaign_id: campaign.id, attempt, wait_ms: wait, err: error.message }, "transient delivery failure, retrying");
          await sleep(wait);
          continue;
        }
        return { status: "failed", attempts: attempt, error: error instanceof Error ? error.message : String(error) };
      }
    }
  }

  function markTelegramUnreachable(lead: Lead, reason: string): void {
    db.transaction((tx) => {
      const now = clock.now();
      updateLeadRow(tx, lead.id, { telegram_unreachable_at: now, telegram_unreachable_reason: reason, updated_at: now });
      insertAudit(tx, { actor: "system:telegram", action: "lead.telegram_unreachable", entity: "lead", entity_id: lead.id, after: { reason } }, now);
    });
  }

  function updateStage({ campaign, step, lead, enrollmentId }: StepContext): StepOutcome {
    const target = step.target_stage;
    if (target === null) return { status: "failed", attempts: 1, error: "El paso no tiene target_stage" };
    if (lead.pipeline_stage === target) return { status: "skipped", attempts: 1, error: `El lead ya está en ${target}` };
    // Marked before the move, so the stage-change sweep does not end this enrollment for a move it made itself.
    db.update(campaignEnrollments).set({ moved_by_own_step: true }).where(eq(campaignEnrollments.id, enrollmentId)).run();
    try {
      deps.pipeline.moveLeadToStage(
        lead.id,
        { new_stage: target, reason: `Campaña «${campaign.name}», paso ${step.step_number}` },
        campaignActor(campaign.id),
      );
      return { status: "success", attempts: 1, detail: { from_stage: lead.pipeline_stage, to_stage: target } };
    } catch (error) {
      db.update(campaignEnrollments).set({ moved_by_own_step: false }).where(eq(campaignEnrollments.id, enrollmentId)).run();
      if (error instanceof DomainError) return { status: "failed", attempts: 1, error: error.message };
      throw error;
    }
  }

  async function startCall({ campaign, step, lead }: StepContext): Promise<StepOutcome> {
    try {
      const call = await deps.calls.initiateCall(
        { lead_id: lead.id, campaign_id: campaign.id, agent_type: (step.agent_type ?? "perfilador") as AgentType },
        campaignActor(campaign.id),
      );
      return { status: "success", attempts: 1, detail: { call_id: call.id, call_sid: call.provider_call_sid } };
    } catch (error) {
      if (error instanceof UnavailableError) return { status: "skipped", attempts: 1, error: error.message };
      if (error instanceof DomainError) return { status: "failed", attempts: 1, error: error.message };
      throw error;
    }
  }

  return {
    async perform(context: StepContext): Promise<StepOutcome> {
      switch (context.step.action) {
        case "send_message":
          return sendMessage(context);
        case "update_stage":
          return updateStage(context);
        case "start_call":
          return startCall(context);
      }
    },
  };
}

export type StepActions = ReturnType<typeof createStepActions>;
