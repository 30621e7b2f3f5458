/**
 * WhatsApp's customer-service window: free-form messages only within 24
 * hours of the lead's last message; outside it, only an approved template
 * (Twilio would accept a free text and then fail it with error 63016). And
 * where a lead is written to on WhatsApp.
 */
import { isKnownVariable, renderTemplate, type TemplateValues } from "./templates";

/** The number to write to on WhatsApp: the lead's WhatsApp id, else its phone; null when it has neither. */
export function whatsappNumberOf(lead: { whatsapp_id: string | null; phone: string | null }): string | null {
  return lead.whatsapp_id ? `+${lead.whatsapp_id}` : lead.phone;
}

export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

export function insideWhatsAppWindow(lastInboundAt: Date | null, now: Date): boolean {
  return lastInboundAt !== null && now.getTime() - lastInboundAt.getTime() < WHATSAPP_WINDOW_MS;
}

/**
 * ContentVariables for an approved template: {{1}}, {{2}}… filled with the
 * catalogue variables in the order the template expects, each rendered with
 * its documented fallback (WhatsApp refuses an empty variable).
 */
export function contentVariablesFor(order: readonly string[], values: TemplateValues): Record<string, string> {
  return Object.fromEntries(
    order.map((name, index) => {
      const rendered = isKnownVariable(name) ? renderTemplate(`{{${name}}}`, values).text.trim() : "";
      return [String(index + 1), rendered || "-"];
    }),
  );
}
