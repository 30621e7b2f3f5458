/**
 * The WhatsApp side of the channel port, through Twilio. Inside a chat the
 * lead has just written, so the 24-hour window is open and free text may go.
 * Choices go as numbered text the lead answers by number ("1", "el 2") or by
 * day ("el jueves"); WhatsApp shows no typing indicator through Twilio.
 */
import type { Lead } from "../db/schema";
import type { ChannelPort } from "../src/channels/channel-port";
import type { WhatsAppSender } from "./whatsapp-sender";

/** The number to write to: the lead's WhatsApp id, else its phone. */
export function whatsappNumberOf(lead: Lead): string {
  if (lead.whatsapp_id) return `+${lead.whatsapp_id}`;
  if (lead.phone) return lead.phone;
  throw new Error(`lead ${lead.id} has no WhatsApp number`);
}

export function createWhatsAppChannel(sender: WhatsAppSender): ChannelPort {
  const sendText = async (lead: Lead, text: string) => {
    const sent = await sender.send({ to: whatsappNumberOf(lead), body: text });
    return { externalId: sent.sid };
  };
  return {
    channel: "whatsapp",
    sendText,
    sendChoices(lead, text, choices) {
      const numbered = choices.map((choice, index) => `${index + 1}. ${choice.label}`).join("\n");
      return sendText(lead, `${text}\n${numbered}\n\nResponde con el número del horario que prefieras.`);
    },
    async typing() {},
  };
}
