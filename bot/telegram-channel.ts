/**
 * The Telegram side of the channel port: free text, inline buttons for
 * choices (their callback data is the choice id), the contact-sharing button
 * for the phone, and "escribiendo…". Built on the process's one Api.
 */
import { InlineKeyboard, Keyboard, type Api } from "grammy";
import type { Lead } from "../db/schema";
import type { AdminNotifier, ChannelPort } from "../src/channels/channel-port";
import type { Logger } from "../src/logger";
import { classifyTelegramError } from "../src/channels/telegram-sender";

function chatOf(lead: Lead): number {
  if (lead.telegram_chat_id === null) throw new Error(`lead ${lead.id} has no Telegram chat`);
  return lead.telegram_chat_id;
}

/** Telegram's errors as delivery errors (permanent, transient, unknown), as the chat core reads them. */
async function classified<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw classifyTelegramError(error);
  }
}

export function createTelegramChannel(api: Api): ChannelPort {
  return {
    channel: "telegram",
    async sendText(lead, text) {
      const sent = await classified(() => api.sendMessage(chatOf(lead), text));
      return { externalId: String(sent.message_id) };
    },
    async sendChoices(lead, text, choices) {
      const keyboard = new InlineKeyboard();
      for (const choice of choices) keyboard.text(choice.label, choice.id).row();
      const sent = await classified(() => api.sendMessage(chatOf(lead), text, { reply_markup: keyboard }));
      return { externalId: String(sent.message_id) };
    },
    async requestPhone(lead, text) {
      const sent = await classified(() => api.sendMessage(chatOf(lead), text, { reply_markup: new Keyboard().requestContact("📱 Compartir mi teléfono").oneTime().resized() }));
      return { externalId: String(sent.message_id) };
    },
    async typing(lead) {
      await api.sendChatAction(chatOf(lead), "typing");
    },
  };
}

/** Lead events for people go to TELEGRAM_ADMIN_CHAT_ID; a failure is logged, never shown to the lead. */
export function createTelegramAdminNotifier(api: Api, adminChatId: number | null, log: Logger): AdminNotifier {
  return {
    async notify(text) {
      if (adminChatId === null) return;
      try {
        await api.sendMessage(adminChatId, text);
      } catch (error) {
        log.error({ err: error }, "could not notify admins");
      }
    },
  };
}
