/**
 * Where an appointment reminder goes: the channel the lead last wrote on
 * (else whichever the lead has). On WhatsApp the 24-hour window applies: a
 * reminder outside it goes as the approved reminder template
 * (WHATSAPP_REMINDER_CONTENT_SID: {{1}} first name, {{2}} date, {{3}} link),
 * or is skipped with the reason when there is none. Never a free text
 * Twilio would fail with 63016.
 */
import { lastInboundChannel } from "../../db/repositories/messages-repository";
import type { Database } from "../../db/database";
import type { Lead } from "../../db/schema";
import type { TextSender } from "../channels/telegram-sender";
import type { WhatsAppOutbound } from "../channels/whatsapp-outbound";
import { chooseChatChannel } from "../domain/chat-channel";
import type { Channel } from "../domain/vocabulary";
import { insideWhatsAppWindow, whatsappNumberOf } from "../domain/whatsapp-window";

export interface ReminderChannels {
  db: Database;
  telegram: TextSender | null;
  whatsapp: WhatsAppOutbound | null;
  /** The approved WhatsApp template for reminders outside the window. */
  whatsappReminderContentSid: string | null;
}

export type ReminderDelivery =
  | { sent: true; channel: Channel; externalId: string }
  | { sent: false; reason: string };

export interface ReminderContent {
  text: string;
  firstName: string;
  when: string;
  link: string;
}

export function createReminderDelivery(deps: ReminderChannels) {
  async function channelFor(lead: Lead): Promise<Channel | null> {
    const last = await deps.db.run((q) => lastInboundChannel(q, lead.id));
    return chooseChatChannel(lead, last, { telegram: deps.telegram !== null, whatsapp: deps.whatsapp !== null });
  }

  return {
    /** Sends one reminder; delivery errors are thrown as the channel's sender classified them. */
    async send(lead: Lead, content: ReminderContent, now: Date): Promise<ReminderDelivery> {
      const channel = await channelFor(lead);
      if (channel === null) return { sent: false, reason: "El lead no tiene un canal de chat disponible" };
      if (channel === "telegram") {
        const sent = await deps.telegram!.sendText(lead.telegram_chat_id!, content.text);
        return { sent: true, channel, externalId: String(sent.message_id) };
      }
      // channelFor chose WhatsApp only for a lead with a WhatsApp id or a phone.
      const to = whatsappNumberOf(lead)!;
      if (insideWhatsAppWindow(lead.whatsapp_last_inbound_at, now)) {
        return { sent: true, channel, externalId: (await deps.whatsapp!.sendText(to, content.text)).sid };
      }
      if (!deps.whatsappReminderContentSid) {
        return { sent: false, reason: "Fuera de la ventana de 24 horas de WhatsApp y sin plantilla aprobada de recordatorio (WHATSAPP_REMINDER_CONTENT_SID)" };
      }
      const variables = { 1: content.firstName || "-", 2: content.when, 3: content.link || "-" };
      return { sent: true, channel, externalId: (await deps.whatsapp!.sendTemplate(to, deps.whatsappReminderContentSid, variables)).sid };
    },
  };
}
