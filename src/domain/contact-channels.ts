/** How the agency can reach a lead: a chat on Telegram or WhatsApp, a call to a phone. */
import type { Lead } from "../../db/schema";

export const CONTACT_CHANNELS = ["telegram", "whatsapp", "phone"] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

export const CONTACT_CHANNEL_LABELS: Record<ContactChannel, string> = { telegram: "Telegram", whatsapp: "WhatsApp", phone: "teléfono" };

export function contactChannels(lead: Pick<Lead, "telegram_chat_id" | "whatsapp_id" | "phone">): ContactChannel[] {
  const channels: ContactChannel[] = [];
  if (lead.telegram_chat_id !== null) channels.push("telegram");
  if (lead.whatsapp_id !== null) channels.push("whatsapp");
  if (lead.phone !== null) channels.push("phone");
  return channels;
}
