/**
 * Telegram's send limits, kept by one throttler for every message of the
 * process (installed by telegram-limits.ts on the process's one grammY Api).
 *
 * The limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
 * - overall, at most `maxPerSecond` messages reach Telegram in any sliding
 *   second, however long each one takes on the way (OverallCap: a message
 *   holds its place until a second after its answer), and they go evenly
 *   spaced, one every 1 s / maxPerSecond, never a second's worth at once;
 * - per chat, at most one message a second, and one at a time: the next one
 *   waits for the previous one's answer, so a chat gets its messages in order;
 * - per group (a negative id or an @username), also at most 20 a minute.
 *
 * Priority: a reply (telegram-throttler-priority.ts) goes ahead of every bulk
 * message (campaign steps, reminders, admin notices): in its chat's queue, and
 * among chats waiting for the overall cap. Within a priority, each chat's
 * messages go first come, first served, and chats take turns in the order they
 * became free to send. Bulk waits as long as replies keep the cap busy; replies
 * come from people writing, far fewer than the cap.
 *
 * Only methods that post a message to a chat are throttled (send*, forward*,
 * copy*). sendChatAction ("escribiendo…") is not: it posts nothing, and
 * spacing it would hold back the very reply it announces by a second. Neither
 * are edits, deletions, callback answers nor getUpdates. (The grammY throttler
 * this replaces took every call with a chat_id.) A media group counts as one.
 *
 * Cost: O(1) work per message. Chats free to send wait in two linked lists
 * (replies, bulk); chats that just sent wait out their second in one list,
 * which is in time order because every chat waits the same second from when
 * it sent. A chat's state is dropped once its second has passed with nothing
 * queued (a group's after its last minute). One timer serves the whole
 * throttler, set for the earliest moment anything can move. Groups waiting on
 * their minute (rare: 20 messages in a minute to one group) sit in a small heap.
 * The overall cap keeps the answers of the last second, at most the cap of them.
 */
import { HttpError, type Transformer } from "grammy";
import { OverallCap } from "./telegram-overall-cap";
import { sendPriority, type ChatKey, type SendPriority } from "./telegram-throttler-priority";

/** Time and timers for the throttler: milliseconds from any origin, never going back. */
export interface ThrottlerClock {
  now(): number;
  /** `keepAlive`: whether the timer should keep the process alive (false when it only forgets idle chats). */
  setTimer(callback: () => void, delayMs: number, keepAlive: boolean): unknown;
  clearTimer(timer: unknown): void;
}

export const systemThrottlerClock: ThrottlerClock = {
  now: () => performance.now(),
  setTimer(callback, delayMs, keepAlive) {
    const timer = setTimeout(callback, delayMs);
    if (!keepAlive) timer.unref();
    return timer;
  },
  clearTimer: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

export interface SendQueueOptions {
  /** Messages that may reach Telegram in any sliding second, overall; Infinity for no overall cap (the per-chat rules stay). */
  maxPerSecond: number;
  /** Per chat, the least time between two messages' starts (1000). */
  perChatMs?: number;
  /** Per group, messages in any sliding minute (20). */
  groupPerMinute?: number;
  clock?: ThrottlerClock;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;

/** A message waiting for its turn, in its chat's queue. */
interface Ticket {
  prev: Ticket | null;
  next: Ticket | null;
  list: LinkedFifo<Ticket> | null;
  readonly chat: Chat;
  /** Sends the message: called once, when the limits allow. */
  readonly send: () => Promise<unknown>;
}

/** A chat with something queued, in flight, or sent too recently to forget. */
interface Chat {
  /** In exactly one of: a ready list, the cooling list; or none. */
  prev: Chat | null;
  next: Chat | null;
  list: LinkedFifo<Chat> | null;
  readonly key: ChatKey;
  readonly group: boolean;
  /** Its queues, made when something has to wait (most messages go at once). */
  replies: LinkedFifo<Ticket> | null;
  bulk: LinkedFifo<Ticket> | null;
  inFlight: boolean;
  /** When its last message's second is over. */
  coolsAt: number;
  /** A group waiting on (or remembered for) its minute: when it is looked at again. Its entry in the heap is current only while this matches. */
  wakeAt: number | null;
  /** A group's last start times, a ring of groupPerMinute entries. */
  recent: number[] | null;
  recentNext: number;
}

/** A first-in, first-out list linked through its items: push, shift and removal from the middle are O(1). */
class LinkedFifo<T extends { prev: T | null; next: T | null; list: LinkedFifo<T> | null }> {
  head: T | null = null;
  private tail: T | null = null;
  size = 0;

  push(item: T): void {
    item.list = this;
    item.prev = this.tail;
    item.next = null;
    if (this.tail) this.tail.next = item;
    else this.head = item;
    this.tail = item;
    this.size++;
  }

  remove(item: T): void {
    if (item.prev) item.prev.next = item.next;
    else this.head = item.next;
    if (item.next) item.next.prev = item.prev;
    else this.tail = item.prev;
    item.prev = null;
    item.next = null;
    item.list = null;
    this.size--;
  }

  shift(): T | null {
    const item = this.head;
    if (item) this.remove(item);
    return item;
  }
}

function waitingIn(chat: Chat): number {
  return (chat.replies?.size ?? 0) + (chat.bulk?.size ?? 0);
}

interface Wake {
  at: number;
  chat: Chat;
}

const REPLY = 0;
const BULK = 1;

/** The throttler's scheduling, without grammY: what goes when. */
export class SendQueue {
  private readonly perChatMs: number;
  private readonly groupPerMinute: number;
  private readonly clock: ThrottlerClock;
  private readonly overall: OverallCap | null;
  private readonly chats = new Map<ChatKey, Chat>();
  /** Chats free to send but for the overall cap: those with a reply queued, then the others. */
  private readonly ready = [new LinkedFifo<Chat>(), new LinkedFifo<Chat>()] as const;
  /** Chats within a second of their last start, oldest first (so in coolsAt order). */
  private readonly cooling = new LinkedFifo<Chat>();
  /** Groups waiting on their minute, as a binary min-heap on `at`; entries whose chat moved on are skipped. */
  private readonly waking: Wake[] = [];
  private queued = 0;
  private timer: unknown = null;
  private timerAt = Infinity;
  private timerKeepsAlive = false;
  private pumping = false;
  private pumpAgain = false;

  constructor(options: SendQueueOptions) {
    if (!(options.maxPerSecond > 0)) throw new Error("maxPerSecond must be above 0 (Infinity for no overall cap)");
    this.overall = Number.isFinite(options.maxPerSecond) ? new OverallCap(options.maxPerSecond) : null;
    this.perChatMs = options.perChatMs ?? SECOND_MS;
    this.groupPerMinute = options.groupPerMinute ?? 20;
    this.clock = options.clock ?? systemThrottlerClock;
  }

  /**
   * Queues `send` for `chat`. It is called when the limits allow (at once if
   * they do now), and the chat is held until the promise it returns settles.
   * Returns a function that withdraws it while still queued (true if it was).
   */
  schedule(chat: ChatKey, priority: SendPriority, send: () => Promise<unknown>): () => boolean {
    const state = this.chats.get(chat) ?? this.track(chat);
    const ticket: Ticket = { prev: null, next: null, list: null, chat: state, send };
    // A group kept only to remember its minute (nothing queued) is looked at again now.
    if (waitingIn(state) === 0) state.wakeAt = null;
    if (priority === "reply") {
      (state.replies ??= new LinkedFifo<Ticket>()).push(ticket);
      if (state.list === this.ready[BULK]) {
        this.ready[BULK].remove(state);
        this.ready[REPLY].push(state);
      }
    } else {
      (state.bulk ??= new LinkedFifo<Ticket>()).push(ticket);
    }
    this.queued++;
    this.settle(state, this.clock.now());
    this.pump();
    return () => this.withdraw(ticket);
  }

  /**
   * The common case without a queue: a chat the throttler holds nothing for,
   * while the overall cap has room, takes its turn at once. Returns what to
   * call when the send settles; null when it has to be scheduled.
   */
  startNow(chat: ChatKey): (() => void) | null {
    if (this.chats.has(chat) || this.pumping || this.ready[REPLY].size + this.ready[BULK].size > 0) return null;
    const now = this.clock.now();
    if (this.overall !== null && !this.overall.allows(now)) return null;
    const finished = this.begin(this.track(chat), now);
    this.arm(now);
    return finished;
  }

  /** Chats the throttler holds state for (queued, in flight, or within their second or a group's minute). */
  get chatsTracked(): number {
    return this.chats.size;
  }

  /** Messages waiting for their turn. */
  get waiting(): number {
    return this.queued;
  }

  private track(key: ChatKey): Chat {
    const chat: Chat = {
      prev: null,
      next: null,
      list: null,
      key,
      group: typeof key === "string" || key < 0,
      replies: null,
      bulk: null,
      inFlight: false,
      coolsAt: 0,
      wakeAt: null,
      recent: null,
      recentNext: 0,
    };
    this.chats.set(key, chat);
    return chat;
  }

  private withdraw(ticket: Ticket): boolean {
    if (ticket.list === null) return false;
    const chat = ticket.chat;
    ticket.list.remove(ticket);
    this.queued--;
    if (chat.list === this.ready[REPLY] || chat.list === this.ready[BULK]) {
      chat.list.remove(chat);
      this.settle(chat, this.clock.now());
    }
    this.arm(this.clock.now());
    return true;
  }

  /** Puts a chat that nothing holds where it belongs: a ready list, the heap (a group on its minute), or nowhere (forgotten). */
  private settle(chat: Chat, now: number): void {
    if (chat.inFlight || chat.list !== null || chat.wakeAt !== null) return;
    const waiting = waitingIn(chat);
    if (chat.group && chat.recent !== null) {
      const at = waiting === 0 ? this.groupForgetAt(chat) : this.groupFreeAt(chat);
      if (at > now) {
        this.wake(chat, at);
        return;
      }
    }
    if (waiting === 0) this.chats.delete(chat.key);
    else this.ready[chat.replies !== null && chat.replies.size > 0 ? REPLY : BULK].push(chat);
  }

  /** Starts whatever the limits allow now, then sets the timer for the next moment something can move. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    let now = 0;
    try {
      do {
        this.pumpAgain = false;
        now = this.clock.now();
        for (let chat = this.cooling.head; chat !== null && chat.coolsAt <= now; chat = this.cooling.head) {
          this.cooling.remove(chat);
          this.settle(chat, now);
        }
        while (this.waking.length > 0 && this.waking[0]!.at <= now) {
          const { at, chat } = this.popWake();
          if (chat.wakeAt !== at) continue;
          chat.wakeAt = null;
          this.settle(chat, now);
        }
        for (;;) {
          const chat = this.ready[REPLY].head ?? this.ready[BULK].head;
          if (chat === null || (this.overall !== null && !this.overall.allows(now))) break;
          chat.list!.remove(chat);
          this.start(chat, (chat.replies?.shift() ?? chat.bulk?.shift())!, now);
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.arm(now);
  }

  private start(chat: Chat, ticket: Ticket, now: number): void {
    this.queued--;
    const finished = this.begin(chat, now);
    let sent: Promise<unknown>;
    try {
      sent = ticket.send();
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(finished, finished);
  }

  /** Counts a start against the chat's second, its group's minute and the overall cap; returns what to call when the send settles. */
  private begin(chat: Chat, now: number): () => void {
    chat.inFlight = true;
    chat.coolsAt = now + this.perChatMs;
    this.cooling.push(chat);
    if (chat.group) {
      chat.recent ??= [];
      chat.recent[chat.recentNext] = now;
      chat.recentNext = (chat.recentNext + 1) % this.groupPerMinute;
    }
    const answered = this.overall?.started(now);
    return () => {
      const at = this.clock.now();
      answered?.(at);
      chat.inFlight = false;
      this.settle(chat, at);
      this.pump();
    };
  }

  /** When a group may send again: its oldest start of the last groupPerMinute plus a minute (or at once, with fewer). */
  private groupFreeAt(chat: Chat): number {
    const recent = chat.recent!;
    return recent.length < this.groupPerMinute ? -Infinity : recent[chat.recentNext]! + MINUTE_MS;
  }

  /** When a group's minute no longer holds anything of it: its last start plus a minute. */
  private groupForgetAt(chat: Chat): number {
    const recent = chat.recent!;
    const last = (chat.recentNext + this.groupPerMinute - 1) % this.groupPerMinute;
    return (recent[last] ?? -Infinity) + MINUTE_MS;
  }

  private wake(chat: Chat, at: number): void {
    chat.wakeAt = at;
    const heap = this.waking;
    heap.push({ at, chat });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private popWake(): Wake {
    const heap = this.waking;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < heap.length && heap[left]!.at < heap[least]!.at) least = left;
        if (right < heap.length && heap[right]!.at < heap[least]!.at) least = right;
        if (least === i) break;
        [heap[least], heap[i]] = [heap[i]!, heap[least]!];
        i = least;
      }
    }
    return top;
  }

  /** One timer for the whole throttler, at the earliest moment a chat's second ends, a group wakes, or the cap lets the next start go. */
  private arm(now: number): void {
    let at = this.cooling.head?.coolsAt ?? Infinity;
    if (this.waking.length > 0) at = Math.min(at, this.waking[0]!.at);
    if (this.overall !== null && this.ready[REPLY].size + this.ready[BULK].size > 0) at = Math.min(at, this.overall.freeAt(now));
    // Only messages waiting keep the process up; a timer that would just forget chats does not.
    const keepAlive = this.queued > 0;
    if (this.timer !== null && this.timerAt <= at && (this.timerKeepsAlive || !keepAlive)) return;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    if (at === Infinity) return;
    this.timerAt = at;
    this.timerKeepsAlive = keepAlive;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, Math.ceil(at - now)),
      keepAlive,
    );
  }
}

/**
 * The chat a call posts a message to, or null for a call the throttler lets
 * through: not a message-posting method, or no chat_id.
 */
export function throttledChat(method: string, payload: unknown): ChatKey | null {
  if (!POSTS_A_MESSAGE.test(method) || typeof payload !== "object" || payload === null) return null;
  const chatId = (payload as { chat_id?: unknown }).chat_id;
  if (typeof chatId === "number") return chatId;
  if (typeof chatId !== "string") return null;
  return /^-?\d+$/.test(chatId) ? Number(chatId) : chatId.toLowerCase();
}

const POSTS_A_MESSAGE = /^(?:send(?!ChatAction$)[A-Z]|forwardMessages?$|copyMessages?$)/;

export interface TelegramThrottlerOptions {
  /** Messages per second, overall (> 0). */
  maxPerSecond: number;
  clock?: ThrottlerClock;
  /** How a send's priority is known; by default from the bot's update scope (telegram-throttler-priority.ts). */
  priorityOf?: (chat: ChatKey) => SendPriority;
}

/** The throttler as a grammY API transformer. */
export function telegramThrottler(options: TelegramThrottlerOptions): Transformer {
  const queue = new SendQueue({ maxPerSecond: options.maxPerSecond, ...(options.clock && { clock: options.clock }) });
  const priorityOf = options.priorityOf ?? sendPriority;
  return (prev, method, payload, signal) => {
    const chat = throttledChat(method, payload);
    if (chat === null) return prev(method, payload, signal);
    const finished = signal?.aborted ? null : queue.startNow(chat);
    if (finished !== null) {
      let sent: ReturnType<typeof prev<typeof method>>;
      try {
        sent = prev(method, payload, signal);
      } catch (error) {
        finished();
        throw error;
      }
      sent.then(finished, finished);
      return sent;
    }
    return whenAllowed(queue, chat, priorityOf(chat), method, signal, () => prev(method, payload, signal));
  };
}

/** grammY's own AbortSignal type (abort-controller's), not the DOM one. */
type CallSignal = Parameters<Transformer>[3];

/** Runs `call` when the queue lets it; a signal that aborts while it waits withdraws it. */
function whenAllowed<T>(queue: SendQueue, chat: ChatKey, priority: SendPriority, method: string, signal: CallSignal, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(method));
      return;
    }
    let withdraw = (): boolean => false;
    const onAbort = () => {
      if (withdraw()) reject(abortedError(method));
    };
    signal?.addEventListener("abort", onAbort);
    withdraw = queue.schedule(chat, priority, () => {
      signal?.removeEventListener("abort", onAbort);
      let sent: Promise<T>;
      try {
        sent = call();
      } catch (error) {
        sent = Promise.reject(error);
      }
      sent.then(resolve, reject);
      return sent;
    });
  });
}

/**
 * What grammY throws for a request aborted by its signal: an HttpError around
 * node-fetch's AbortError. The retry layer sees the aborted signal and does not
 * try again; nothing reached Telegram.
 */
function abortedError(method: string): HttpError {
  const abort = Object.assign(new Error("The user aborted a request."), { name: "AbortError", type: "aborted" });
  return new HttpError(`Network request for '${method}' failed!`, abort);
}
