/**
 * What the conversation core needs from a chat channel, and nothing more: the
 * bot (Telegram) and the WhatsApp surface each implement it by translating to
 * their protocol. The core never knows which one it talks to.
 */
import type { Lead } from "../../db/schema";
import type { Channel } from "../domain/vocabulary";

/** One option offered to the lead (a slot): `id` comes back when it is picked. */
export interface Choice {
  id: string;
  label: string;
}

export interface SentOnChannel {
  /** The provider's message id (Telegram message_id, Twilio SM…), for status callbacks. */
  externalId: string | null;
}

export interface ChannelPort {
  readonly channel: Channel;
  sendText(lead: Lead, text: string): Promise<SentOnChannel>;
  /** A question with options (buttons or a list where the channel has them, numbered text otherwise). */
  sendChoices(lead: Lead, text: string, choices: readonly Choice[]): Promise<SentOnChannel>;
  /** Asks for the lead's phone number, where the channel has a way to share it; null when it already knows it. */
  requestPhone?(lead: Lead, text: string): Promise<SentOnChannel>;
  /** "Escribiendo…", where the channel shows it. */
  typing(lead: Lead): Promise<void>;
}

/** Where lead events for people go (handoffs, qualified leads, bookings): the admins' Telegram chat today. */
export interface AdminNotifier {
  notify(text: string): Promise<void>;
}

export const NO_ADMIN_NOTIFIER: AdminNotifier = { notify: async () => undefined };
