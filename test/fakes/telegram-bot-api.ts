/**
 * A local fake of the Telegram Bot API over real HTTP, for tests and benchmarks.
 *
 * Protocol, as in https://core.telegram.org/bots/api#making-requests:
 * POST {root}/bot{token}/{method} with a JSON (or form) body; every answer is
 * {"ok": true, "result": …} or {"ok": false, "error_code": n, "description": "…",
 * "parameters": {"retry_after": s}} with the HTTP status equal to error_code.
 * A sent message comes back as a Message object (message_id, date in Unix
 * seconds, chat, from = the bot, text).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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

export interface FakeTelegram {
  apiRoot: string;
  token: string;
  /** Every request received, in order (including failed and held ones). */
  calls: RecordedCall[];
  /** Text messages delivered (answered ok), optionally for one chat. */
  delivered(chatId?: number): { chat_id: number; text: string; message_id: number }[];
  /** The next `times` calls of `method` fail with `failure`. */
  failNext(method: string, failure: TelegramFailure, times?: number): void;
  /** Every sendMessage to this chat fails with `failure` from now on. */
  failChat(chatId: number, failure: TelegramFailure): void;
  /** Requests to this chat are received but never answered (a process can die while waiting). */
  holdChat(chatId: number): void;
  /** Resolves when `count` messages have been delivered, or rejects after `timeoutMs`. */
  waitForDelivered(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const BOT_USER = { id: 7_000_000_001, is_bot: true, first_name: "Prospecta", username: "prospecta_test_bot" };

export async function startFakeTelegram(token = "123456:TEST-TOKEN"): Promise<FakeTelegram> {
  const calls: RecordedCall[] = [];
  const delivered: { chat_id: number; text: string; message_id: number }[] = [];
  const queuedFailures: { method: string; failure: TelegramFailure }[] = [];
  const chatFailures = new Map<number, TelegramFailure>();
  const heldChats = new Set<number>();
  const held: ServerResponse[] = [];
  let nextMessageId = 1;

  const server: Server = createServer(async (req, res) => {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url?.split("?")[0] ?? "");
    if (!match) return reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const [, givenToken, method] = match as unknown as [string, string, string];
    const body = await readBody(req);
    calls.push({ method, body, at: Date.now() });
    if (givenToken !== token) return reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });

    const queued = queuedFailures.findIndex((f) => f.method === method);
    if (queued >= 0) return fail(res, queuedFailures.splice(queued, 1)[0]!.failure);

    switch (method) {
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
          held.push(res);
          return;
        }
        const message = {
          message_id: nextMessageId++,
          from: BOT_USER,
          chat: { id: chatId, type: "private", first_name: "Lead" },
          date: Math.floor(Date.now() / 1000),
          text,
        };
        delivered.push({ chat_id: chatId, text, message_id: message.message_id });
        return reply(res, 200, { ok: true, result: message });
      }
      default:
        return reply(res, 404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    calls,
    delivered: (chatId) => (chatId === undefined ? [...delivered] : delivered.filter((m) => m.chat_id === chatId)),
    failNext(method, failure, times = 1) {
      for (let i = 0; i < times; i++) queuedFailures.push({ method, failure });
    },
    failChat: (chatId, failure) => void chatFailures.set(chatId, failure),
    holdChat: (chatId) => void heldChats.add(chatId),
    async waitForDelivered(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (delivered.length < count) {
        if (Date.now() > deadline) throw new Error(`fake Telegram: ${delivered.length} of ${count} messages delivered after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function fail(res: ServerResponse, failure: TelegramFailure): void {
  reply(res, failure.error_code, {
    ok: false,
    error_code: failure.error_code,
    description: failure.description,
    ...(failure.retry_after !== undefined && { parameters: { retry_after: failure.retry_after } }),
  });
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
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
