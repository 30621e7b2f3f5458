/**
 * A campaign's send_message step on WhatsApp. Inside the 24-hour window the
 * rendered template goes as free text; outside it only the template's
 * approved WhatsApp version (whatsapp_content_sid, its variables in the order
 * it expects) may go. Without one the step is skipped with that reason and
 * nothing is sent: Twilio would accept free text and fail it with 63016.
 */
import type { Database } from "../../db/database";
import * as stepRun from "../../db/repositories/step-run-repository";
import type { WhatsAppOutbound } from "../channels/whatsapp-outbound";
import type { Clock } from "../clock";
import { renderTemplate, templateValuesFor, usesAppointment } from "../domain/templates";
import { contentVariablesFor, insideWhatsAppWindow, whatsappNumberOf } from "../domain/whatsapp-window";
import type { Logger } from "../logger";
import type { StepContext, StepOutcome } from "./step-actions";
import { writeProviderId } from "../services/message-status-service";
import { deliveryFailureOutcome } from "./delivery-outcome";

export interface WhatsAppStepDeps {
  db: Database;
  clock: Clock;
  timeZone: string;
  /** Null when WHATSAPP_PROVIDER is not set. */
  whatsapp: WhatsAppOutbound | null;
  log: Logger;
}

export function createWhatsAppStep(deps: WhatsAppStepDeps) {
  const { db, clock, log } = deps;

  return async function sendWhatsAppStep({ campaign, step, template, lead }: StepContext): Promise<StepOutcome> {
    if (!deps.whatsapp) return { status: "skipped", attempts: 0, error: "WhatsApp no está configurado (WHATSAPP_PROVIDER)" };
    const to = whatsappNumberOf(lead);
    if (!to) return { status: "skipped", attempts: 0, error: "El lead no tiene WhatsApp ni teléfono" };
    if (lead.whatsapp_unreachable_at) {
      return { status: "skipped", attempts: 0, error: `El lead no es alcanzable por WhatsApp: ${lead.whatsapp_unreachable_reason ?? ""}`.trim() };
    }
    if (!template) return { status: "failed", attempts: 0, error: `La plantilla ${step.message_template_id} ya no existe` };

    const now = clock.now();
    const appointment = usesAppointment(template.content) ? await db.run((q) => stepRun.currentAppointment(q, lead.id, now)) : null;
    const values = templateValuesFor(lead, appointment, deps.timeZone);
    const { text, missing } = renderTemplate(template.content, values);
    const inside = insideWhatsAppWindow(lead.whatsapp_last_inbound_at, now);
    if (!inside && !template.whatsapp_content_sid) {
      return {
        status: "skipped",
        attempts: 0,
        error: "Fuera de la ventana de 24 horas de WhatsApp y la plantilla no tiene plantilla aprobada (whatsapp_content_sid): no se envía texto libre",
      };
    }
    const variables = inside ? null : contentVariablesFor(template.whatsapp_variables ?? [], values);
    try {
      const sent = inside ? await deps.whatsapp.sendText(to, text) : await deps.whatsapp.sendTemplate(to, template.whatsapp_content_sid!, variables!);
      const at = clock.now();
      await writeProviderId(db, at, "whatsapp", sent.sid, (q) =>
        stepRun.insertOutboundMessage(q, { leadId: lead.id, channel: "whatsapp", agentType: template.agent_type, text, externalId: sent.sid, at }),
      );
      return {
        status: "success",
        attempts: sent.attempts,
        detail: { template_id: template.id, message_sid: sent.sid, sent_as: inside ? "text" : "template", missing_variables: missing },
      };
    } catch (error) {
      return deliveryFailureOutcome(error, { channel: "whatsapp", context: { campaign, step, lead }, templateId: template.id }, deps);
    }
  };
}
