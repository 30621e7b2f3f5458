/**
 * Which chat channel a message to a lead goes on, when the product writes first (a reminder) or a
 * person writes from the dashboard: the channel the lead last wrote on, if it can still be used;
 * else the first usable one (Telegram, then WhatsApp); null when none can. A channel is usable when
 * the lead has an address there, this installation has that channel, and it has not refused the
 * lead for good. WhatsApp's 24-hour window is the caller's to check: what to do outside it differs
 * (a reminder has an approved template, a person's free text has none).
 */
import type { Channel } from "./vocabulary";
import { whatsappNumberOf } from "./whatsapp-window";

export interface ChatAddresses {
  telegram_chat_id: number | null;
  telegram_unreachable_at: Date | null;
  whatsapp_id: string | null;
  phone: string | null;
  whatsapp_unreachable_at: Date | null;
}

/** The channels this installation can send on. */
export interface AvailableChannels {
  telegram: boolean;
  whatsapp: boolean;
}

const ORDER: readonly Channel[] = ["telegram", "whatsapp"];

export function chooseChatChannel(lead: ChatAddresses, lastInbound: Channel | null, available: AvailableChannels): Channel | null {
  const usable = (channel: Channel) =>
    channel === "telegram"
      ? available.telegram && lead.telegram_chat_id !== null && !lead.telegram_unreachable_at
      : available.whatsapp && whatsappNumberOf(lead) !== null && !lead.whatsapp_unreachable_at;
  if (lastInbound && usable(lastInbound)) return lastInbound;
  return ORDER.find(usable) ?? null;
}
