/**
 * The WhatsApp side of the channel port, through Twilio. Inside a chat the
 * lead has just written, so the 24-hour window is open and free text may go.
 * Choices go as a WhatsApp list (slot-list-content.ts) whose text also
 * numbers them, or as numbered text alone; the lead taps, or answers by
 * number ("1", "el 2") or by day ("el jueves"). WhatsApp shows no typing
 * indicator through Twilio.
 */
import type { Lead } from "../db/schema";
import type { ChannelPort } from "../src/channels/channel-port";
import type { SlotList } from "./slot-list-content";
import type { WhatsAppSender } from "./whatsapp-sender";

/** The number to write to: the lead's WhatsApp id, else its phone. */
export function whatsappNumberOf(lead: Lead): string {
  if (lead.whatsapp_id) return `+${lead.whatsapp_id}`;
  if (lead.phone) return lead.phone;
  throw new Error(`lead ${lead.id} has no WhatsApp number`);
}

export function createWhatsAppChannel(sender: WhatsAppSender, slotList: SlotList | null): ChannelPort {
  const sendText = async (lead: Lead, text: string) => {
    const sent = await sender.send({ to: whatsappNumberOf(lead), body: text });
    return { externalId: sent.sid };
  };
  return {
    channel: "whatsapp",
    sendText,
    async sendChoices(lead, text, choices) {
      const numbered = choices.map((choice, index) => `${index + 1}. ${choice.label}`).join("\n");
      const body = `${text}\n${numbered}\n\nElige en la lista o responde con el número del horario que prefieras.`;
      const list = await slotList?.contentFor(body, choices);
      if (!list) return sendText(lead, body);
      const sent = await sender.sendTemplate(whatsappNumberOf(lead), list.contentSid, list.variables);
      return { externalId: sent.sid };
    },
    async typing() {},
  };
}
