/** A send whose outcome is unknown, as a step's log records it on every channel: flagged for a person, never redone. */
import type { UnknownDeliveryError } from "../channels/delivery-errors";
import type { StepOutcome } from "./step-actions";

export function unknownDeliveryOutcome(error: UnknownDeliveryError, templateId: number): StepOutcome {
  return {
    status: "needs_review",
    attempts: error.attempts,
    error: `${error.message}: puede que el mensaje haya llegado o no; no se reintenta para no duplicar; revisar si llegó`,
    detail: { template_id: templateId },
  };
}
