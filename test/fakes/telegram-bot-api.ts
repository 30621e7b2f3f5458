/**
 * A local fake of the Telegram Bot API over real HTTP, for tests and benchmarks.
 *
 * Protocol, as in https://core.telegram.org/bots/api#making-requests:
 * POST {root}/bot{token}/{method} with a JSON (or form) body; every answer is
 * {"ok": true, "result": …} or {"ok": false, "error_code": n, "description": "…",
 * "parameters": {"retry_after": s}} with the HTTP status equal to error_code.
 * A sent message comes back as a Message object (message_id, date in Unix
 * seconds, chat, from = the bot, text). Incoming updates are queued with
 * `pushUpdate` and served by getUpdates with its offset / limit / timeout
 * long-polling semantics (updates below `offset` are confirmed and dropped; an
 * empty queue waits up to `timeout` seconds). While a webhook is set,
 * getUpdates answers 409 as Telegram does; and as Telegram serves one poller,
 * a getUpdates that arrives while another is waiting ends the waiting one
 * with 409 "terminated by other getUpdates request" (two bot instances
 * polling fight like this forever).
 *
 * Network failures, as a client meets them: a request that reaches Telegram
 * and is acted on, but whose answer never arrives (the connection is cut:
 * the client cannot know the message went out), and a server that is not
 * there at all (connections refused: nothing was sent).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { asyncHandler, listeningSwitch, readBody, sendJson } from "./http";

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  at: number;
}

interface TelegramFailure {
  error_code: number;
  description: string;
  retry_after?: number;
}

export const TELEGRAM_ERRORS = {
  blocked: { error_code: 403, description: "Forbidden: bot was blocked by the user" },
  chatNotFound: { error_code: 400, description: "Bad Request: chat not found" },
  tooManyRequests: (retryAfter: number) => ({
    error_code: 429,
    description: `Too Many Requests: retry after ${retryAfter}`,
    retry_after: retryAfter,
  }),
  serverError: { error_code: 502, description: "Bad Gateway" },
} as const;

export interface DeliveredMessage {
  chat_id: number;
  text: string;
  message_id: number;
  reply_markup?: unknown;
}

export interface FakeUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
}

export interface FakeTelegram {
  /** Queues an update (update_id assigned here) for getUpdates. */
  pushUpdate(update: Record<string, unknown>): number;
  /** Queues a private text message from `user` (a command if it starts with "/"). */
  userSays(user: FakeUser, text: string): number;
  /** Queues a press on an inline button of a message the bot sent. */
  userPresses(user: FakeUser, data: string, messageId?: number): number;
  /** Commands set with setMyCommands, by scope type ("default", "chat:<id>", …). */
  commands: Map<string, { command: string; description: string }[]>;
  /** Callback queries the bot answered. */
  answeredCallbacks: string[];
  apiRoot: string;
  token: string;
  /** Every request received, in order (including failed and held ones). */
  calls: RecordedCall[];
  /** Text messages delivered (answered ok), optionally for one chat. */
  delivered(chatId?: number): DeliveredMessage[];
  /** The next `times` calls of `method` fail with `failure`. */
  failNext(method: string, failure: TelegramFailure, times?: number): void;
  /** Every sendMessage to this chat fails with `failure` from now on. */
  failChat(chatId: number, failure: TelegramFailure): void;
  /** Requests to this chat are received but never answered (a process can die while waiting). */
  holdChat(chatId: number): void;
  /** Stops holding this chat: the held sendMessage requests are delivered and answered, in order. */
  releaseChat(chatId: number): void;
  /** The next `times` sendMessage requests are delivered, then their connection is cut without an answer. */
  deliverThenCut(times?: number): void;
  /** Stops listening: new connections are refused (ECONNREFUSED) and idle kept-alive ones closed, until acceptConnections. */
  refuseConnections(): Promise<void>;
  /** Listens again on the same port. */
  acceptConnections(): Promise<void>;
  /** When an update was first handed to the bot by getUpdates (performance.now()), if it was. */
  servedAt(updateId: number): number | undefined;
  /** Called for every delivered message (benchmarks time replies with it). */
  onDelivered(listener: (message: DeliveredMessage) => void): void;
  /** Resolves when `count` messages have been delivered, or rejects after `timeoutMs`. */
  waitForDelivered(count: number, timeoutMs?: number): Promise<void>;
  /** How many long polls another getUpdates ended with 409 (two pollers at once). */
  terminatedPolls(): number;
  close(): Promise<void>;
}

const BOT_USER = { id: 7_000_000_001, is_bot: true, first_name: "Prospecta", username: "prospecta_test_bot" };

export async function startFakeTelegram(token = "123456:TEST-TOKEN"): Promise<FakeTelegram> {
  const calls: RecordedCall[] = [];
  const delivered: DeliveredMessage[] = [];
  const queuedFailures: { method: string; failure: TelegramFailure }[] = [];
  const chatFailures = new Map<number, TelegramFailure>();
  const heldChats = new Set<number>();
  const held: { res: ServerResponse; chatId: number; text: string; replyMarkup: unknown }[] = [];
  let cutsLeft = 0;
  let nextMessageId = 1;
  const pending: Record<string, unknown>[] = [];
  let nextUpdateId = 1;
  let webhookUrl = "";
  const wakePollers: (() => void)[] = [];
  const commands = new Map<string, { command: string; description: string }[]>();
  const answeredCallbacks: string[] = [];
  const deliveryListeners: ((message: DeliveredMessage) => void)[] = [];
  const served = new Map<number, number>();
  let closed = false;

  /** Records a message as Telegram would have sent it, and returns its Message object. */
  function deliver(chatId: number, text: string, replyMarkup: unknown) {
    const message = {
      message_id: nextMessageId++,
      from: BOT_USER,
      chat: { id: chatId, type: "private", first_name: "Lead" },
      date: Math.floor(Date.now() / 1000),
      text,
    };
    const record = { chat_id: chatId, text, message_id: message.message_id, reply_markup: replyMarkup };
    delivered.push(record);
    for (const listener of deliveryListeners) listener(record);
    return message;
  }

  function pushUpdate(update: Record<string, unknown>): number {
    const id = nextUpdateId++;
    pending.push({ update_id: id, ...update });
    for (const wake of wakePollers.splice(0)) wake();
    return id;
  }

  /** Ends the long poll now waiting, if one is, with Telegram's 409. */
  let terminateWaitingPoll: (() => void) | null = null;
  let terminatedPolls = 0;

  async function getUpdates(body: Record<string, unknown>): Promise<Record<string, unknown>[] | "terminated"> {
    terminateWaitingPoll?.();
    const offset = Number(body.offset ?? 0);
    const limit = Math.min(Number(body.limit ?? 100), 100);
    const timeout = Number(body.timeout ?? 0);
    // Updates below the offset are confirmed: Telegram forgets them.
    while (pending.length && Number(pending[0]!.update_id) < offset) pending.shift();
    if (pending.length === 0 && timeout > 0 && !closed) {
      const terminated = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => finish(false), timeout * 1000);
        const wake = () => finish(false);
        const terminate = () => finish(true);
        function finish(byAnother: boolean) {
          clearTimeout(timer);
          if (terminateWaitingPoll === terminate) terminateWaitingPoll = null;
          resolve(byAnother);
        }
        terminateWaitingPoll = terminate;
        wakePollers.push(wake);
      });
      if (terminated) {
        terminatedPolls++;
        return "terminated";
      }
    }
    const batch = pending.filter((u) => Number(u.update_id) >= offset).slice(0, limit);
    const now = performance.now();
    for (const update of batch) if (!served.has(Number(update.update_id))) served.set(Number(update.update_id), now);
    return batch;
  }

  const server: Server = createServer(asyncHandler(async (req, res) => {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url?.split("?")[0] ?? "");
    if (!match) return reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const [, givenToken, method] = match as unknown as [string, string, string];
    const body = await readParams(req);
    calls.push({ method, body, at: Date.now() });
    if (givenToken !== token) return reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });

    const queued = queuedFailures.findIndex((f) => f.method === method);
    if (queued >= 0) return fail(res, queuedFailures.splice(queued, 1)[0]!.failure);

    switch (method) {
      case "getUpdates":
        if (webhookUrl) {
          return fail(res, { error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
        }
        {
          const updates = await getUpdates(body);
          if (updates === "terminated") {
            return fail(res, { error_code: 409, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" });
          }
          return reply(res, 200, { ok: true, result: updates });
        }
      case "setWebhook":
        webhookUrl = String(body.url ?? "");
        return reply(res, 200, { ok: true, result: true, description: "Webhook was set" });
      case "deleteWebhook":
        webhookUrl = "";
        return reply(res, 200, { ok: true, result: true, description: "Webhook was deleted" });
      case "setMyCommands": {
        const scope = (body.scope ?? { type: "default" }) as { type: string; chat_id?: number };
        commands.set(scope.chat_id !== undefined ? `${scope.type}:${scope.chat_id}` : scope.type, (body.commands ?? []) as { command: string; description: string }[]);
        return reply(res, 200, { ok: true, result: true });
      }
      case "sendChatAction":
        return reply(res, 200, { ok: true, result: true });
      case "answerCallbackQuery":
        answeredCallbacks.push(String(body.callback_query_id));
        return reply(res, 200, { ok: true, result: true });
      case "getMe":
        return reply(res, 200, { ok: true, result: { ...BOT_USER, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } });
      case "sendMessage": {
        const chatId = Number(body.chat_id);
        const text = typeof body.text === "string" ? body.text : "";
        if (!Number.isFinite(chatId) || body.chat_id === undefined) return fail(res, { error_code: 400, description: "Bad Request: chat_id is empty" });
        if (text.trim() === "") return fail(res, { error_code: 400, description: "Bad Request: message text is empty" });
        if (text.length > 4096) return fail(res, { error_code: 400, description: "Bad Request: message is too long" });
        const chatFailure = chatFailures.get(chatId);
        if (chatFailure) return fail(res, chatFailure);
        if (heldChats.has(chatId)) {
          held.push({ res, chatId, text, replyMarkup: body.reply_markup });
          return;
        }
        const message = deliver(chatId, text, body.reply_markup);
        if (cutsLeft > 0) {
          // The message is out, but the client only sees its connection drop (ECONNRESET, "socket hang up").
          cutsLeft--;
          res.socket?.destroy();
          return;
        }
        return reply(res, 200, { ok: true, result: message });
      }
      default:
        return reply(res, 404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    }
  }));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const connections = listeningSwitch(server, port);

  return {
    pushUpdate,
    userSays(user, text) {
      const entities = text.startsWith("/") ? [{ type: "bot_command", offset: 0, length: text.split(/\s/)[0]!.length }] : undefined;
      return pushUpdate({
        message: {
          message_id: nextMessageId++,
          from: { ...user, is_bot: false, language_code: "es" },
          chat: { id: user.id, type: "private", first_name: user.first_name, ...(user.username && { username: user.username }) },
          date: Math.floor(Date.now() / 1000),
          text,
          ...(entities && { entities }),
        },
      });
    },
    userPresses(user, data, messageId) {
      const message = delivered.filter((m) => m.chat_id === user.id).find((m) => messageId === undefined || m.message_id === messageId);
      return pushUpdate({
        callback_query: {
          id: String(nextUpdateId * 1000 + 7),
          from: { ...user, is_bot: false },
          chat_instance: String(user.id),
          data,
          message: message && { message_id: message.message_id, chat: { id: user.id, type: "private" }, date: Math.floor(Date.now() / 1000), text: message.text },
        },
      });
    },
    commands,
    answeredCallbacks,
    onDelivered: (listener) => void deliveryListeners.push(listener),
    servedAt: (updateId) => served.get(updateId),
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    calls,
    delivered: (chatId) => (chatId === undefined ? [...delivered] : delivered.filter((m) => m.chat_id === chatId)),
    failNext(method, failure, times = 1) {
      for (let i = 0; i < times; i++) queuedFailures.push({ method, failure });
    },
    failChat: (chatId, failure) => void chatFailures.set(chatId, failure),
    holdChat: (chatId) => void heldChats.add(chatId),
    releaseChat(chatId) {
      heldChats.delete(chatId);
      for (const entry of held.filter((h) => h.chatId === chatId)) {
        held.splice(held.indexOf(entry), 1);
        reply(entry.res, 200, { ok: true, result: deliver(entry.chatId, entry.text, entry.replyMarkup) });
      }
    },
    deliverThenCut(times = 1) {
      cutsLeft += times;
    },
    refuseConnections: () => connections.refuse(),
    acceptConnections: () => connections.accept(),
    terminatedPolls: () => terminatedPolls,
    async waitForDelivered(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (delivered.length < count) {
        if (Date.now() > deadline) throw new Error(`fake Telegram: ${delivered.length} of ${count} messages delivered after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      closed = true;
      for (const wake of wakePollers.splice(0)) wake();
      for (const { res } of held) res.destroy();
      server.closeAllConnections();
      // A server already refusing connections has nothing left to close.
      await new Promise<void>((resolve) => (connections.isListening() ? server.close(() => resolve()) : resolve()));
    },
  };
}

const reply = sendJson;

function fail(res: ServerResponse, failure: TelegramFailure): void {
  reply(res, failure.error_code, {
    ok: false,
    error_code: failure.error_code,
    description: failure.description,
    ...(failure.retry_after !== undefined && { parameters: { retry_after: failure.retry_after } }),
  });
}

async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req);
  if (!raw) return {};
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/json")) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}
