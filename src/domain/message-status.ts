/**
 * A message's delivery status only moves forward: the provider's callbacks
 * may arrive late, twice or out of order (Twilio posts each one separately).
 * queued → sent → delivered → read; failed and undelivered end it.
 */
import { MESSAGE_STATUSES, type Channel, type MessageStatus } from "./vocabulary";

const RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, undelivered: 2, failed: 2, read: 3 };

/** The status to keep after a report: the later one; a failure never follows a read, nothing follows a failure. */
export function nextMessageStatus(current: MessageStatus | null, reported: MessageStatus): MessageStatus {
  if (current === null) return reported;
  if (current === "failed" || current === "undelivered") return current;
  return RANK[reported] > RANK[current] ? reported : current;
}

/** The statuses a message leaves for `reported` (null: a message with none yet), by nextMessageStatus. */
export function statusesMovingTo(reported: MessageStatus): (MessageStatus | null)[] {
  return [null, ...MESSAGE_STATUSES].filter((current) => current !== reported && nextMessageStatus(current, reported) === reported);
}

/** Channels whose provider reports delivery after the send (Twilio's status callbacks); Telegram answers the send and nothing after. */
export function reportsDeliveryLater(channel: Channel): boolean {
  return channel === "whatsapp";
}
