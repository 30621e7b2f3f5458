/**
 * How a campaign message that did not go out is recorded, on every channel:
 * - outside WhatsApp's window (63016): skipped with the reason;
 * - refused for good: failed, and the lead marked unreachable there when the chat or number is gone;
 * - certainly not delivered after the retries: failed;
 * - may or may not have arrived: flagged for a person (needs_review), never redone.
 * Anything else is not a delivery answer (a bug, a client shutting down): rethrown for the runner.
 */
import type { Database } from "../../db/database";
import { OutsideWindowError, PermanentDeliveryError, TransientDeliveryError, UnknownDeliveryError } from "../channels/delivery-errors";
import type { Clock } from "../clock";
import type { Channel } from "../domain/vocabulary";
import type { Logger } from "../logger";
import { markChannelUnreachable } from "../services/channel-reachability";
import type { StepContext, StepOutcome } from "./step-actions";

export interface FailedSend {
  channel: Channel;
  context: Pick<StepContext, "campaign" | "step" | "lead">;
  templateId: number;
}

export async function deliveryFailureOutcome(error: unknown, send: FailedSend, deps: { db: Database; clock: Clock; log: Logger }): Promise<StepOutcome> {
  const { lead, campaign, step } = send.context;
  if (error instanceof OutsideWindowError) return { status: "skipped", attempts: error.attempts, error: error.message };
  if (error instanceof PermanentDeliveryError) {
    if (error.chatUnreachable) await deps.db.transaction((tx) => markChannelUnreachable(tx, deps.clock.now(), lead.id, send.channel, error.message));
    return { status: "failed", attempts: error.attempts, error: error.message };
  }
  if (error instanceof UnknownDeliveryError) {
    deps.log.warn(
      { lead_id: lead.id, campaign_id: campaign.id, step_number: step.step_number, channel: send.channel, err: error.message },
      "campaign message delivery unknown: flagged for review",
    );
    return {
      status: "needs_review",
      attempts: error.attempts,
      error: `${error.message}: puede que el mensaje haya llegado o no; no se reintenta para no duplicar; revisar si llegó`,
      detail: { template_id: send.templateId },
    };
  }
  if (error instanceof TransientDeliveryError) return { status: "failed", attempts: error.attempts, error: error.message };
  throw error;
}
