/**
 * The Telegram throttler on a fake clock: no real waits, and every assertion
 * is about the throttler's own time. Per chat one message a second and one at
 * a time; overall at most the cap in any sliding second, at close to the cap,
 * evenly spaced, and counted where Telegram counts it, on arrival, whatever
 * each message's delay on the way;
 * replies before bulk, in their chat and across chats; a group's 20 a minute;
 * aborts withdraw; idle chats are forgotten; one timer for everything.
 */
import fc from "fast-check";
import { Api, HttpError } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger";
import { installTelegramLimits } from "../../src/channels/telegram-limits";
import { SendQueue, telegramThrottler, throttledChat, type ThrottlerClock } from "../../src/channels/telegram-throttler";
import { sendPriority, sendPriorityScope, type ChatKey, type SendPriority } from "../../src/channels/telegram-throttler-priority";

/** A clock that moves only when told, firing its timers in time order. */
function fakeClock() {
  let now = 0;
  let nextId = 0;
  let mostTimers = 0;
  const timers = new Map<number, { at: number; callback: () => void; keepAlive: boolean }>();
  const clock: ThrottlerClock = {
    now: () => now,
    setTimer(callback, delayMs, keepAlive) {
      timers.set(++nextId, { at: now + delayMs, callback, keepAlive });
      mostTimers = Math.max(mostTimers, timers.size);
      return nextId;
    },
    clearTimer: (id) => void timers.delete(id as number),
  };
  return {
    clock,
    now: () => now,
    timers: () => [...timers.values()],
    /** The most timers ever pending at once. */
    mostTimers: () => mostTimers,
    /** Moves to `to`, firing each timer due on the way at its time, with the promises it settles run in between. */
    async advanceTo(to: number) {
      // What is already settled runs first, as in a real event loop: an answer that came at `now` is not taken for a later one.
      await settle();
      for (;;) {
        let due: [number, { at: number; callback: () => void }] | undefined;
        for (const entry of timers) if (entry[1].at <= to && (!due || entry[1].at < due[1].at)) due = entry;
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].callback();
        await settle();
      }
      now = Math.max(now, to);
      await settle();
    },
    /** Runs until no timer is left that keeps the process up (all queued messages went out); returns the time then. */
    async drain(limitMs = 10_000_000) {
      while ([...timers.values()].some((t) => t.keepAlive)) {
        const next = Math.min(...[...timers.values()].map((t) => t.at));
        if (next > limitMs) throw new Error("still waiting at the limit");
        await this.advanceTo(next);
      }
      return now;
    },
  };
}

/** Lets every promise callback that is ready run (the sends' answers, the throttler's reactions). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Start {
  chat: ChatKey;
  label: string;
  at: number;
}

/** A SendQueue on a fake clock, whose sends Telegram answers at once unless a test holds them. */
function harness(options: { maxPerSecond?: number; groupPerMinute?: number } = {}) {
  const time = fakeClock();
  const queue = new SendQueue({ maxPerSecond: options.maxPerSecond ?? 30, groupPerMinute: options.groupPerMinute ?? 20, clock: time.clock });
  const starts: Start[] = [];
  const send = (chat: ChatKey, label: string, priority: SendPriority = "bulk", answer: () => Promise<void> = async () => undefined) => {
    let withdraw = () => false;
    const done = new Promise<void>((resolve, reject) => {
      withdraw = queue.schedule(chat, priority, () => {
        starts.push({ chat, label, at: time.now() });
        const answered = answer();
        answered.then(resolve, reject);
        return answered;
      });
    });
    return { done, withdraw };
  };
  const labels = (chat?: ChatKey) => starts.filter((s) => chat === undefined || s.chat === chat).map((s) => s.label);
  return { time, queue, starts, send, labels };
}

/** The most starts in any sliding second (a window (t - 1000, t] ending at each start). */
function busiestSecond(starts: readonly Start[]): number {
  const times = starts.map((s) => s.at).sort((a, b) => a - b);
  let most = 0;
  for (let end = 0, begin = 0; end < times.length; end++) {
    while (times[begin]! <= times[end]! - 1000) begin++;
    most = Math.max(most, end - begin + 1);
  }
  return most;
}

describe("per chat", () => {
  it("one message a second, in the order they were queued", async () => {
    const { time, send, starts } = harness();
    for (let i = 1; i <= 5; i++) send(7, `m${i}`);
    await time.drain();
    expect(starts.map((s) => [s.label, s.at])).toEqual([
      ["m1", 0],
      ["m2", 1000],
      ["m3", 2000],
      ["m4", 3000],
      ["m5", 4000],
    ]);
  });

  it("one at a time: a message Telegram has not answered holds its chat past its second, and only its chat", async () => {
    const { time, send, starts } = harness();
    let answer!: () => void;
    send(7, "slow", "bulk", () => new Promise<void>((resolve) => (answer = resolve)));
    send(7, "next");
    send(8, "other");
    await time.advanceTo(5000);
    expect(starts.map((s) => s.label)).toEqual(["slow", "other"]);
    answer();
    await time.advanceTo(5000);
    expect(starts.at(-1)).toEqual({ chat: 7, label: "next", at: 5000 });
  });

  it("a group: also at most 20 a minute", async () => {
    const { time, send, starts } = harness({ maxPerSecond: 30 });
    for (let i = 1; i <= 23; i++) send(-100_42, `g${i}`);
    await time.drain();
    expect(starts.slice(0, 20).map((s) => s.at)).toEqual(Array.from({ length: 20 }, (_, i) => i * 1000));
    // The 21st waits until the 1st is a minute old, and so on.
    expect(starts.slice(20).map((s) => s.at)).toEqual([60_000, 61_000, 62_000]);
  });
});

describe("overall cap", () => {
  it("a cap of 30 is never exceeded in any sliding second, and delivers within 2% of 30 a second", async () => {
    const { time, send, starts } = harness({ maxPerSecond: 30 });
    // 600 chats, three messages each, queued in three waves a little apart.
    for (let wave = 0; wave < 3; wave++) {
      for (let chat = 1; chat <= 600; chat++) send(chat, `c${chat}-${wave}`);
      await time.advanceTo(time.now() + 137);
    }
    const end = await time.drain();
    expect(starts).toHaveLength(1800);
    expect(busiestSecond(starts)).toBe(30);
    // 1800 at 30 a second is 60 s of sending (the last batch starts at 59 s).
    expect(end).toBeLessThanOrEqual(59_000 * 1.02);
    // And each chat still one a second.
    for (const chat of [1, 300, 600]) {
      const at = starts.filter((s) => s.chat === chat).map((s) => s.at);
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1000);
      expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1000);
    }
  });

  it("a cap far above the load costs nothing: 5,000 chats all go at once, with no timer but the one that forgets them", async () => {
    const { time, send, starts } = harness({ maxPerSecond: 100_000 });
    for (let chat = 1; chat <= 5000; chat++) send(chat, "hola");
    await time.advanceTo(0);
    expect(starts).toHaveLength(5000);
    expect(starts.every((s) => s.at === 0)).toBe(true);
    expect(time.timers().every((t) => !t.keepAlive)).toBe(true);
  });

  it("a cap of 1: one a second, never two", async () => {
    const { time, send, starts } = harness({ maxPerSecond: 1 });
    for (let chat = 1; chat <= 10; chat++) send(chat, `c${chat}`);
    await time.drain();
    expect(busiestSecond(starts)).toBe(1);
    expect(starts.at(-1)!.at).toBeLessThanOrEqual(9 * 1010);
  });
});

describe("overall cap, counted where Telegram counts it: on arrival", () => {
  /** How long message `n` (in start order), started at `at`, takes to reach Telegram, and its answer to come back. */
  type Way = (n: number, at: number) => { toTelegram: number; back: number };

  /** `chats` messages to as many chats at `maxPerSecond`, each taking its way; returns when each started and when it reached Telegram. */
  async function sendOverTheWay(maxPerSecond: number, chats: number, way: Way) {
    const { time, send, starts } = harness({ maxPerSecond });
    const arrivals: Start[] = [];
    for (let chat = 1; chat <= chats; chat++) {
      send(chat, `c${chat}`, "bulk", () => {
        const { toTelegram, back } = way(starts.length - 1, time.now());
        return new Promise<void>((answered) =>
          time.clock.setTimer(() => {
            arrivals.push({ chat, label: `c${chat}`, at: time.now() });
            time.clock.setTimer(answered, back, true);
          }, toTelegram, true),
        );
      });
    }
    await time.drain();
    return { starts, arrivals };
  }

  /** The shortest time any three starts take: under a slot of the cap, three would be a burst. */
  const closestThreeStarts = (starts: readonly Start[]) => Math.min(...starts.slice(2).map((s, i) => s.at - starts[i]!.at));

  // The bench saw 54 in one second at the fake Telegram with a cap of 30: the whole cap began at once, each
  // second, and a burst's messages reached the fake spread over up to 160 ms while the next burst's came at once.
  it.each<[string, Way]>([
    ["the messages started in every other second take 150 ms to get there", (_, at) => ({ toTelegram: Math.floor(at / 1000) % 2 === 0 ? 150 : 0, back: 2 })],
    ["one message in seven is held 400 ms on the way", (n) => ({ toTelegram: n % 7 === 0 ? 400 : 3, back: 3 })],
    ["each message takes 0 to 300 ms to get there and 0 to 100 ms back, unevenly", (n) => ({ toTelegram: (n * 7_919) % 301, back: (n * 104_729) % 101 })],
  ])("at a cap of 30 no second at Telegram holds more than 30 when %s, and the messages go evenly spaced", async (_, way) => {
    const { starts, arrivals } = await sendOverTheWay(30, 300, way);
    expect(arrivals).toHaveLength(300);
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(30);
    // Never a burst: two at most at once, then one per slot of 1 s / 30 (taken up to 2 ms early).
    expect(closestThreeStarts(starts)).toBeGreaterThanOrEqual(1000 / 30 - 2);
  });

  it("answers that take 10 ms cost about 1% of the cap: 300 messages at 30 a second go within 2% of 10 s", async () => {
    const { starts, arrivals } = await sendOverTheWay(30, 300, () => ({ toTelegram: 5, back: 5 }));
    expect(busiestSecond(arrivals)).toBe(30);
    expect(starts.at(-1)!.at).toBeLessThanOrEqual((299 * 1000 * 1.02) / 30);
  });

  it("whatever each message's way there and back, no second at Telegram holds more than the cap", async () => {
    const leg = fc.integer({ min: 0, max: 1500 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.array(fc.record({ toTelegram: leg, back: leg }), { minLength: 1, maxLength: 60 }), async (cap, ways) => {
        const { arrivals } = await sendOverTheWay(cap, 60, (n) => ways[n % ways.length]!);
        expect(arrivals).toHaveLength(60);
        expect(busiestSecond(arrivals)).toBeLessThanOrEqual(cap);
      }),
      { numRuns: 40 },
    );
  });
});

describe("replies first", () => {
  it("a reply queued after 15 notifications to the same chat goes out next", async () => {
    const { time, send, labels } = harness();
    for (let i = 1; i <= 15; i++) send(-100_9, `aviso ${i}`);
    await time.advanceTo(300);
    send(-100_9, "respuesta a /campanas", "reply");
    await time.advanceTo(1000);
    expect(labels()).toEqual(["aviso 1", "respuesta a /campanas"]);
    await time.drain();
    expect(labels()).toEqual(["aviso 1", "respuesta a /campanas", ...Array.from({ length: 14 }, (_, i) => `aviso ${i + 2}`)]);
  });

  it("replies to one chat keep their own order, ahead of its bulk", async () => {
    const { time, send, labels } = harness();
    send(5, "b1");
    send(5, "b2");
    send(5, "r1", "reply");
    send(5, "b3");
    send(5, "r2", "reply");
    await time.drain();
    expect(labels()).toEqual(["b1", "r1", "r2", "b2", "b3"]);
  });

  it("a reply to chat A is not stuck behind thousands of bulk messages to other chats under the cap", async () => {
    const { time, send, starts } = harness({ maxPerSecond: 30 });
    for (let chat = 1; chat <= 3000; chat++) send(chat, "campaña");
    await time.advanceTo(500);
    // Evenly spaced: one every 33 ms (the first two at once), not the whole second's 30 at once.
    const before = starts.length;
    expect(before).toBe(17);
    send(999_999, "respuesta", "reply");
    await time.advanceTo(1500);
    const reply = starts.findIndex((s) => s.label === "respuesta");
    // The next slot is the reply's: it waits 33 ms, not for the next second.
    expect(reply).toBe(before);
    expect(starts[reply]!.at).toBeLessThanOrEqual(500 + 1000 / 30);
    expect(busiestSecond(starts)).toBe(30);
  });

  it("a reply to a chat already waiting as bulk for the cap moves ahead of the other chats", async () => {
    const { time, send, starts } = harness({ maxPerSecond: 2 });
    for (let chat = 1; chat <= 10; chat++) send(chat, `c${chat}`);
    await time.advanceTo(100);
    send(9, "r9", "reply");
    await time.advanceTo(1100);
    expect(starts.map((s) => s.label)).toEqual(["c1", "c2", "r9", "c3"]);
  });
});

describe("state", () => {
  it("a chat idle for a second is forgotten; a group once its minute is over; then no timer is left", async () => {
    const { time, send, queue } = harness({ maxPerSecond: 100_000 });
    for (let chat = 1; chat <= 5000; chat++) send(chat, "hola");
    send(-100_1, "aviso");
    await time.advanceTo(999);
    expect(queue.chatsTracked).toBe(5001);
    await time.advanceTo(1000);
    expect(queue.chatsTracked).toBe(1);
    await time.advanceTo(60_000);
    expect(queue.chatsTracked).toBe(0);
    expect(time.timers()).toEqual([]);
  });

  it("one timer for the whole throttler, whatever the number of chats waiting", async () => {
    const { time, send, starts } = harness({ maxPerSecond: 30 });
    for (let chat = 1; chat <= 1000; chat++) {
      send(chat, "1");
      send(chat, "2");
      send(-chat, "grupo");
    }
    await time.drain();
    expect(starts).toHaveLength(3000);
    expect(time.mostTimers()).toBe(1);
  });

  it("a withdrawn message is gone: the next one of its chat moves up, and a chat left empty is forgotten", async () => {
    const { time, send, labels, queue } = harness();
    send(7, "m1");
    const m2 = send(7, "m2");
    send(7, "m3");
    const lone = send(8, "solo", "bulk");
    // Chat 8 went at once; queue one more behind it and withdraw it.
    const behind = send(8, "detrás");
    expect(m2.withdraw()).toBe(true);
    expect(m2.withdraw()).toBe(false);
    expect(behind.withdraw()).toBe(true);
    await lone.done;
    await time.advanceTo(1000);
    expect(labels()).toEqual(["m1", "solo", "m3"]);
    expect(queue.waiting).toBe(0);
    await time.advanceTo(2000);
    expect(queue.chatsTracked).toBe(0);
  });
});

describe("as grammY's transformer", () => {
  /** A grammY Api whose requests are answered at once by a fake fetch, each recorded with the fake clock's time. */
  function fakeApi(time: ReturnType<typeof fakeClock>) {
    const requests: { method: string; chat: unknown; text: unknown; at: number }[] = [];
    const fetch = async (url: string, init: { body?: unknown }) => {
      const method = url.split("/").pop()!;
      const body = typeof init.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : {};
      requests.push({ method, chat: body.chat_id, text: body.text, at: time.now() });
      const result = method === "sendMessage" ? { message_id: requests.length, date: 0, chat: { id: body.chat_id, type: "private" }, text: body.text } : true;
      return { json: async () => ({ ok: true, result }) };
    };
    const api = new Api("123:TEST", { apiRoot: "http://telegram.invalid", fetch: fetch as never });
    return { api, requests };
  }

  const texts = (requests: { method: string; text: unknown }[]) => requests.filter((r) => r.method === "sendMessage").map((r) => r.text);

  it("throttles the methods that post a message, and lets the rest through", () => {
    for (const method of ["sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendContact", "sendVenue", "sendMediaGroup", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "sendPoll"]) {
      expect(throttledChat(method, { chat_id: 5 })).toBe(5);
    }
    for (const method of ["sendChatAction", "getUpdates", "answerCallbackQuery", "getMe", "editMessageText", "deleteMessage", "setMyCommands", "getChat"]) {
      expect(throttledChat(method, { chat_id: 5 })).toBeNull();
    }
    expect(throttledChat("sendMessage", { text: "sin chat" })).toBeNull();
    expect(throttledChat("sendMessage", { chat_id: "-100123" })).toBe(-100_123);
    expect(throttledChat("sendMessage", { chat_id: "@Canal" })).toBe("@canal");
  });

  it("inside the bot's update scope, a send to the update's own chat is a reply; to another chat, or after the update, bulk", async () => {
    const seen: SendPriority[] = [];
    const middleware = sendPriorityScope();
    let later!: () => SendPriority;
    await middleware({ chat: { id: 42 }, from: { id: 42 } } as never, async () => {
      seen.push(sendPriority(42), sendPriority(-100_9));
      await Promise.resolve();
      seen.push(sendPriority(42));
      later = () => sendPriority(42);
    });
    expect(seen).toEqual(["reply", "bulk", "reply"]);
    expect(later()).toBe("bulk");
    expect(sendPriority(42)).toBe("bulk");
  });

  it("the bot's reply to an admin goes ahead of the notices queued for that chat, through a real grammY Api", async () => {
    const time = fakeClock();
    const { api, requests } = fakeApi(time);
    api.config.use(telegramThrottler({ maxPerSecond: 30, clock: time.clock }));
    const notices = Array.from({ length: 15 }, (_, i) => api.sendMessage(-100_9, `aviso ${i + 1}`));
    await time.advanceTo(400);
    let replied!: Promise<unknown>;
    await sendPriorityScope()({ chat: { id: -100_9 } } as never, async () => {
      replied = api.sendMessage(-100_9, "respuesta");
      await time.advanceTo(1000);
    });
    expect(texts(requests).slice(0, 2)).toEqual(["aviso 1", "respuesta"]);
    await time.drain(100_000);
    await Promise.all([replied, ...notices]);
    expect(texts(requests)).toHaveLength(16);
  });

  it("through grammY too, 30 a second at most and one a second per chat, whether a message goes at once or waits", async () => {
    const time = fakeClock();
    const { api, requests } = fakeApi(time);
    api.config.use(telegramThrottler({ maxPerSecond: 30, clock: time.clock }));
    const sends: Promise<unknown>[] = [];
    for (let round = 0; round < 4; round++) {
      for (let chat = 1; chat <= 50; chat++) sends.push(api.sendMessage(chat, `r${round}`));
      await time.advanceTo(time.now() + 400);
    }
    await time.drain();
    await Promise.all(sends);
    const starts = requests.map((r) => ({ chat: r.chat as number, label: String(r.text), at: r.at }));
    expect(starts).toHaveLength(200);
    expect(busiestSecond(starts)).toBe(30);
    for (let chat = 1; chat <= 50; chat++) {
      const mine = starts.filter((s) => s.chat === chat);
      expect(mine.map((s) => s.label)).toEqual(["r0", "r1", "r2", "r3"]);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.at - mine[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    }
  });

  it("a signal that aborts while the call is queued withdraws it and rejects as grammY does; the chat's next message moves up", async () => {
    const time = fakeClock();
    const { api, requests } = fakeApi(time);
    api.config.use(telegramThrottler({ maxPerSecond: 30, clock: time.clock }));
    const first = api.sendMessage(7, "uno");
    const controller = new AbortController();
    const second = api.sendMessage(7, "dos", {}, controller.signal as never);
    const third = api.sendMessage(7, "tres");
    controller.abort();
    const error = await second.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).message).toBe("Network request for 'sendMessage' failed!");
    expect(((error as HttpError).error as Error).name).toBe("AbortError");
    await time.advanceTo(1000);
    await Promise.all([first, third]);
    expect(requests.map((r) => [r.text, r.at])).toEqual([
      ["uno", 0],
      ["tres", 1000],
    ]);
    // Already aborted: rejected at once, never queued.
    const gone = new AbortController();
    gone.abort();
    await expect(api.sendMessage(7, "cuatro", {}, gone.signal as never)).rejects.toBeInstanceOf(HttpError);
    await time.advanceTo(5000);
    expect(requests).toHaveLength(2);
  });

  describe("installTelegramLimits", () => {
    const log = createLogger("silent");
    const pending: AbortController[] = [];
    afterEach(() => {
      for (const controller of pending.splice(0)) controller.abort();
    });

    it("TELEGRAM_MAX_PER_SECOND=0 lifts the whole throttler: five messages to one chat go at once", async () => {
      const time = fakeClock();
      const { api, requests } = fakeApi(time);
      installTelegramLimits(api, { maxPerSecond: 0, maxAttempts: 1, retryBaseMs: 10, log });
      await Promise.all(Array.from({ length: 5 }, (_, i) => api.sendMessage(7, `m${i}`)));
      expect(texts(requests)).toHaveLength(5);
    });

    it("with a cap, the second message to a chat waits for its second; typing and other calls do not wait", async () => {
      const time = fakeClock();
      const { api, requests } = fakeApi(time);
      installTelegramLimits(api, { maxPerSecond: 30, maxAttempts: 1, retryBaseMs: 10, log });
      await api.sendMessage(7, "m1");
      const controller = new AbortController();
      pending.push(controller);
      const waiting = api.sendMessage(7, "m2", {}, controller.signal as never).catch((e: unknown) => e);
      await api.sendChatAction(7, "typing");
      await api.getMe();
      await settle();
      expect(requests.map((r) => r.method)).toEqual(["sendMessage", "sendChatAction", "getMe"]);
      controller.abort();
      expect(await waiting).toBeInstanceOf(HttpError);
    });
  });
});
