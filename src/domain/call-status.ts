/**
 * A call's status only moves forward: Twilio's status callbacks may arrive
 * twice or out of order, and the stored state must never go backwards.
 */
import type { CALL_STATUSES } from "./vocabulary";

export type CallStatus = (typeof CALL_STATUSES)[number];

const RANK: Record<CallStatus, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  in_progress: 3,
  completed: 4,
  busy: 4,
  no_answer: 4,
  failed: 4,
  canceled: 4,
};

export const ACTIVE_CALL_STATUSES: readonly CallStatus[] = ["queued", "initiated", "ringing", "in_progress"];

export function isTerminal(status: CallStatus): boolean {
  return RANK[status] === 4;
}

/** Twilio's CallStatus ("in-progress", "no-answer"…) in our words; null for values we do not know. */
export function fromTwilioStatus(value: string): CallStatus | null {
  const status = value.replace(/-/g, "_");
  return Object.hasOwn(RANK, status) ? (status as CallStatus) : null;
}

/** The status to store after an event: the later of the two, and the first terminal one is final. */
export function nextCallStatus(current: CallStatus, reported: CallStatus): CallStatus {
  if (isTerminal(current)) return current;
  return RANK[reported] > RANK[current] ? reported : current;
}
