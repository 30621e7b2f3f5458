/**
 * Twilio's status callbacks for outbound messages, as the fake sends them.
 *
 * Per docs/messaging/guides/outbound-message-status-in-status-callbacks, no
 * callback is sent for a message's initial status (queued without a Messaging
 * Service, accepted with one); each later change is its own form-encoded POST,
 * signed like every Twilio webhook. Callbacks are not guaranteed to arrive in
 * order (track-outbound-message-status), so tests can hold them and release them
 * reordered, duplicated (same I-Twilio-Idempotency-Token, as a retry) or not at all.
 */
import { randomUUID } from "node:crypto";
import { bareNumber, postSignedForm, type SignedPost } from "./twilio-wire";

/** The text Twilio gives each delivery error the fake reports (docs/api/errors/{code}). */
export const ERROR_TEXT: Record<number, string> = {
  63016: "Outside messaging window. For WhatsApp, use a Message Template instead",
  63024: "Invalid message recipient",
  63003: "Channel could not find To address",
};

export type OutboundStatus = "accepted" | "queued" | "sent" | "delivered" | "read" | "failed" | "undelivered";

export interface StatusCallback {
  sid: string;
  status: OutboundStatus;
  /** The StatusCallback URL given when the message was created ("" when none: the status changes, nothing is posted). */
  url: string;
  params: Record<string, string>;
  /** Sent as I-Twilio-Idempotency-Token; a duplicate keeps it, as Twilio's retries do. */
  token: string;
}

/** A callback as posted: `status` is the HTTP answer (0: no connection), `messageStatus` the MessageStatus sent. */
export type PostedStatusCallback = SignedPost & { sid: string; messageStatus: OutboundStatus };

export interface StatusCallbackOptions {
  authToken: string;
  delayMs: number;
  /** Where a URL is actually reached (a public URL mapped to the local server). */
  route: (url: string) => string;
}

export interface CallbackSubject {
  sid: string;
  to: string;
  from: string;
  contentSid: string | null;
  accountSid: string;
  channelInstallSid: string;
  /** Set when the message went through a Messaging Service. */
  messagingServiceSid: string | null;
}

/**
 * The fields of a WhatsApp status callback: the message's SIDs and addresses,
 * MessageStatus (and the older SmsStatus), and the channel fields the tracking
 * guide lists (ChannelPrefix, ChannelInstallSid, ChannelToAddress,
 * ChannelStatusMessage on failure, EventType=READ on a read receipt).
 */
export function statusCallbackFields(m: CallbackSubject, status: OutboundStatus, errorCode: number | null): Record<string, string> {
  return {
    ChannelPrefix: "whatsapp",
    ApiVersion: "2010-04-01",
    MessageStatus: status,
    SmsSid: m.sid,
    SmsStatus: status,
    ChannelInstallSid: m.channelInstallSid,
    To: m.to,
    From: m.from,
    MessageSid: m.sid,
    AccountSid: m.accountSid,
    StructuredMessage: String(m.contentSid !== null),
    ChannelToAddress: bareNumber(m.to),
    ...(m.messagingServiceSid && { MessagingServiceSid: m.messagingServiceSid }),
    ...(status === "read" && { EventType: "READ" }),
    ...(errorCode !== null && { ErrorCode: String(errorCode), ErrorMessage: ERROR_TEXT[errorCode]!, ChannelStatusMessage: ERROR_TEXT[errorCode]! }),
  };
}

export function createStatusCallbacks({ authToken, delayMs, route }: StatusCallbackOptions) {
  const posted: PostedStatusCallback[] = [];
  const held: StatusCallback[] = [];
  const running = new Set<Promise<void>>();
  let holding = false;

  async function post(callback: StatusCallback) {
    const result = await postSignedForm(authToken, callback.url, callback.params, {
      postTo: route(callback.url),
      headers: { "i-twilio-idempotency-token": callback.token },
    });
    posted.push({ ...result, sid: callback.sid, messageStatus: callback.status });
  }

  function track(work: Promise<void>): Promise<void> {
    running.add(work);
    void work.finally(() => running.delete(work));
    return work;
  }

  return {
    /** Every callback posted, in the order its answer came back. */
    posted,

    /**
     * Plays a message's status changes one after another, `delayMs` apart.
     * `onChange` runs when Twilio's side changes status (even while callbacks are held).
     * Resolves when the last one has been posted (or held).
     */
    play(steps: Omit<StatusCallback, "token">[], onChange: (step: StatusCallback) => void): Promise<void> {
      return track(
        (async () => {
          for (const step of steps) {
            await new Promise((resolve) => setTimeout(resolve, delayMs));
            const callback = { ...step, token: randomUUID() };
            onChange(callback);
            if (!callback.url) continue;
            if (holding) held.push(callback);
            else await post(callback);
          }
        })(),
      );
    },

    /** From now on callbacks are kept back until `release`. */
    hold() {
      holding = true;
    },

    held: () => [...held],

    /**
     * Posts held callbacks one by one, in the order `pick` returns them (repeat one
     * to duplicate it, leave one out to lose it), then goes back to posting live.
     */
    async release(pick: (held: StatusCallback[]) => StatusCallback[] = (all) => all) {
      holding = false;
      const chosen = pick(held.splice(0));
      for (const callback of chosen) await post(callback);
    },

    /** Posts one callback now, outside any sequence (a late duplicate, a stray status). */
    send: (callback: StatusCallback) => post(callback),

    /** Resolves when every scheduled status change has happened and been posted or held. */
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

export type StatusCallbacks = ReturnType<typeof createStatusCallbacks>;
