/**
 * What each campaign step does: send a templated message, move the stage, or
 * ask for an AI call. Each returns an outcome for the log; none throws for an
 * expected failure.
 */
import type { Database } from "../../db/database";
import { markMovedByOwnStep } from "../../db/repositories/enrollments-repository";
import * as stepRun from "../../db/repositories/step-run-repository";
import type { OutboundMessage } from "../../db/repositories/step-run-repository";
import type { Campaign, CampaignStep, Lead, MessageTemplate } from "../../db/schema";
import type { SentMessage, TextSender } from "../channels/telegram-sender";
import type { Clock } from "../clock";
import { renderTemplate, templateValuesFor, usesAppointment } from "../domain/templates";
import { DomainError, UnavailableError } from "../errors";
import type { Logger } from "../logger";
import type { CallService } from "../services/call-service";
import type { PipelineService } from "../services/pipeline-service";
import type { AgentType } from "../domain/vocabulary";
import type { WhatsAppOutbound } from "../channels/whatsapp-outbound";
import { deliveryFailureOutcome } from "./delivery-outcome";
import { createWhatsAppStep } from "./whatsapp-step";

export type StepOutcome =
  /** `message`: what it sent, stored with the outcome (one write for a group of steps, not one per message). */
  | { status: "success"; attempts: number; detail?: Record<string, unknown>; message?: OutboundMessage }
  | { status: "skipped"; attempts: number; error: string; detail?: Record<string, unknown> }
  | { status: "failed"; attempts: number; error: string; detail?: Record<string, unknown> }
  /** It may or may not have happened (a message whose delivery is unknown): flagged for a person, never redone. */
  | { status: "needs_review"; attempts: number; error: string; detail?: Record<string, unknown> };

export interface StepContext {
  campaign: Campaign;
  step: CampaignStep;
  /** The step's message template as the claim read it; null when it has none or it was deleted. */
  template: MessageTemplate | null;
  lead: Lead;
  enrollmentId: number;
}

export interface StepActionDeps {
  db: Database;
  clock: Clock;
  timeZone: string;
  pipeline: PipelineService;
  calls: CallService;
  /** Null when TELEGRAM_BOT_TOKEN is not set. Retries what certainly did not arrive; steps never resend. */
  telegram: TextSender | null;
  /** Null when WHATSAPP_PROVIDER is not set. */
  whatsapp: WhatsAppOutbound | null;
  log: Logger;
}

export function campaignActor(campaignId: number): string {
  return `campaign:${campaignId}`;
}

export function createStepActions(deps: StepActionDeps) {
  const { db, clock, log } = deps;
  const sendWhatsApp = createWhatsAppStep(deps);

  async function sendMessage({ campaign, step, template, lead }: StepContext): Promise<StepOutcome> {
    if (!deps.telegram) return { status: "skipped", attempts: 0, error: "Telegram no está configurado (TELEGRAM_BOT_TOKEN)" };
    if (lead.telegram_chat_id === null) return { status: "skipped", attempts: 0, error: "El lead no tiene chat de Telegram" };
    if (lead.telegram_unreachable_at) {
      return { status: "skipped", attempts: 0, error: `El lead no es alcanzable por Telegram: ${lead.telegram_unreachable_reason ?? ""}`.trim() };
    }
    if (!template) return { status: "failed", attempts: 0, error: `La plantilla ${step.message_template_id} ya no existe` };

    const appointment = usesAppointment(template.content) ? await db.run((q) => stepRun.currentAppointment(q, lead.id, clock.now())) : null;
    const { text, missing } = renderTemplate(template.content, templateValuesFor(lead, appointment, deps.timeZone));
    const chatId = lead.telegram_chat_id;

    // One send: the Telegram client already retried what certainly did not arrive (429, 5xx, no connection).
    let sent: SentMessage;
    try {
      sent = await deps.telegram.sendText(chatId, text);
    } catch (error) {
      return deliveryFailureOutcome(error, { channel: "telegram", context: { campaign, step, lead }, templateId: template.id }, deps);
    }
    return {
      status: "success",
      attempts: sent.attempts,
      detail: { template_id: template.id, message_id: sent.message_id, missing_variables: missing },
      message: { leadId: lead.id, channel: campaign.channel, agentType: template.agent_type, text, externalId: String(sent.message_id), at: clock.now() },
    };
  }

  async function updateStage({ campaign, step, lead, enrollmentId }: StepContext): Promise<StepOutcome> {
    const target = step.target_stage;
    if (target === null) return { status: "failed", attempts: 1, error: "El paso no tiene target_stage" };
    if (lead.pipeline_stage === target) return { status: "skipped", attempts: 1, error: `El lead ya está en ${target}` };
    try {
      // The flag and the move commit together: the stage-change sweep that the
      // move triggers must not end this enrollment for a move it made itself,
      // and a move that is refused (or a crash before commit) leaves neither.
      await deps.pipeline.moveLeadToStage(
        lead.id,
        { new_stage: target, reason: `Campaña «${campaign.name}», paso ${step.step_number}` },
        campaignActor(campaign.id),
        { inSameTransaction: async (tx) => markMovedByOwnStep(tx, enrollmentId, clock.now()) },
      );
      return { status: "success", attempts: 1, detail: { from_stage: lead.pipeline_stage, to_stage: target } };
    } catch (error) {
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
          return context.campaign.channel === "whatsapp" ? sendWhatsApp(context) : sendMessage(context);
        case "update_stage":
          return updateStage(context);
        case "start_call":
          return startCall(context);
      }
    },
  };
}

export type StepActions = ReturnType<typeof createStepActions>;
