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
import { whatsappNumberOf } from "../src/domain/whatsapp-window";
import type { SlotList } from "./slot-list-content";
import type { WhatsAppSender } from "./whatsapp-sender";

/** The number to write to; a chat reply always has one (the lead just wrote from it). */
function numberOf(lead: Lead): string {
  const number = whatsappNumberOf(lead);
  if (!number) throw new Error(`lead ${lead.id} has no WhatsApp number`);
  return number;
}

export function createWhatsAppChannel(sender: WhatsAppSender, slotList: SlotList | null): ChannelPort {
  const sendText = async (lead: Lead, text: string) => {
    const sent = await sender.send({ to: numberOf(lead), body: text });
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
      const sent = await sender.sendTemplate(numberOf(lead), list.contentSid, list.variables);
      return { externalId: sent.sid };
    },
    async typing() {},
  };
}
