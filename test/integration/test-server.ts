/** Starts the real product on an ephemeral port with a throwaway database (test/support/test-database.ts) and a manual clock. */
import { createTestDatabase } from "../support/test-database";
import { openRawSql } from "../support/raw-sql";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../src/config";
import { createManualClock } from "../../src/clock";
import { buildProspecta, type Prospecta } from "../../src/prospecta";
import type { Logger } from "../../src/logger";
import type { StreamLimits } from "../../voice/stream-server";

export const TEST_TOKEN = "test-admin-token-0123456789";

export const TEST_WEBHOOK_BASE = "https://voz.inmobiliaria.example";

/** Voice on: Twilio and the Realtime model pointed at their fakes (the chat agent stays offline). */
export function voiceEnv(
  twilio: { accountSid: string; authToken: string; apiBase: string },
  realtime: { apiKey: string; url: string },
): Record<string, string> {
  return {
    VOICE_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_PHONE_NUMBER: "+525500000000",
    WEBHOOK_BASE_URL: TEST_WEBHOOK_BASE,
    TWILIO_API_BASE: twilio.apiBase,
    OPENAI_API_KEY: realtime.apiKey,
    OPENAI_REALTIME_URL: realtime.url,
    LLM_PROVIDER: "offline",
  };
}

/** Points the product's Telegram client at a fake Bot API, with the rate limit lifted. */
export function telegramEnv(telegram: { token: string; apiRoot: string }): Record<string, string> {
  return { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, TELEGRAM_MAX_PER_SECOND: "0" };
}

/** As telegramEnv, in webhook mode: Telegram POSTs updates to `${baseUrl}/telegram/webhook` with `secret`. */
export function telegramWebhookEnv(telegram: { token: string; apiRoot: string }, secret: string): Record<string, string> {
  return { ...telegramEnv(telegram), TELEGRAM_WEBHOOK_URL: "https://bot.inmobiliaria.example/telegram/webhook", TELEGRAM_WEBHOOK_SECRET: secret };
}

/** WhatsApp through Twilio, pointed at the fake Messaging API (sender +5215550001111, no quiet hours). */
export function whatsappEnv(fake: { accountSid: string; authToken: string; apiBase: string }): Record<string, string> {
  return {
    WHATSAPP_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_WHATSAPP_NUMBER: "+5215550001111",
    TWILIO_API_BASE: fake.apiBase,
    WEBHOOK_BASE_URL: TEST_WEBHOOK_BASE,
    QUIET_HOURS: "",
  };
}

/** Google Calendar through an OAuth refresh token, at the fake. */
export function googleOAuthEnv(
  calendar: { rootUrl: string; tokenUrl: string },
  calendarId: string,
  oauth: { clientId: string; clientSecret: string; refreshToken: string },
): Record<string, string> {
  return {
    GOOGLE_CALENDAR_ID: calendarId,
    GOOGLE_CLIENT_ID: oauth.clientId,
    GOOGLE_CLIENT_SECRET: oauth.clientSecret,
    GOOGLE_REFRESH_TOKEN: oauth.refreshToken,
    GOOGLE_API_ROOT: calendar.rootUrl,
    GOOGLE_OAUTH_TOKEN_URL: calendar.tokenUrl,
  };
}

export interface TestServer {
  prospecta: Prospecta;
  clock: ReturnType<typeof createManualClock>;
  baseUrl: string;
  /** Calls the API with the admin token; `token: null` sends none. */
  api<T = any>(method: string, path: string, body?: unknown, options?: { token?: string | null; rawBody?: string }): Promise<{ status: number; body: T }>;
  /**
   * Raw SQL on the product's database, `?` for each value (times as Dates),
   * rows as SQLite answers them on either database (test/support/raw-sql.ts):
   * the text must stick to SQL both understand.
   */
  sql<T = any>(query: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function startTestServer(
  options: { seedSamples?: boolean; env?: Record<string, string>; logger?: Logger; retryBaseMs?: number; streamLimits?: Partial<StreamLimits> } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "prospecta-test-"));
  // A test may name its own database (a file to back up, one shared by two instances).
  const database = options.env?.DATABASE_URL ? null : await createTestDatabase(dir);
  const config = loadConfig({
    ...(database && { DATABASE_URL: database.url }),
    ADMIN_API_TOKEN: TEST_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    NODE_ENV: "test",
    ...options.env,
  });
  const clock = createManualClock("2026-01-15T16:00:00Z");
  const prospecta = await buildProspecta(config, {
    clock,
    seedSamples: options.seedSamples ?? false,
    // Telegram retries back off from 10 ms instead of a second: tests wait for outcomes, not for the clock.
    retryBaseMs: options.retryBaseMs ?? 10,
    ...(options.logger && { logger: options.logger }),
    ...(options.streamLimits && { streamLimits: options.streamLimits }),
  });
  await prospecta.app.listen({ port: 0, host: "127.0.0.1" });
  const raw = openRawSql(config.DATABASE_URL);
  const { port } = prospecta.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    prospecta,
    clock,
    baseUrl,
    async api(method, path, body, opts = {}) {
      const headers: Record<string, string> = {};
      const token = opts.token === undefined ? TEST_TOKEN : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const payload = opts.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
      if (payload !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(`${baseUrl}/api/v1${path}`, { method, headers, body: payload });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    sql: (query, ...params) => raw.query(query, ...params),
    async close() {
      await raw.close();
      await prospecta.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
