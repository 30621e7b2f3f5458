/** Webhook mode: Telegram POSTs updates to our server; the secret token is checked. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startTestServer, type TestServer, telegramWebhookEnv } from "./test-server";

const SECRET = "s3cr3t_webhook-token";
let telegram: FakeTelegram;
let server: TestServer;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  server = await startTestServer({ env: telegramWebhookEnv(telegram, SECRET) });
  expect(await server.prospecta.startBot()).toBe("webhook");
});
afterAll(async () => {
  await server.close();
  await telegram.close();
});

function post(body: unknown, secret: string | null) {
  return fetch(`${server.baseUrl}/telegram/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(secret !== null && { "x-telegram-bot-api-secret-token": secret }) },
    body: JSON.stringify(body),
  });
}

const startUpdate = (updateId: number) => ({
  update_id: updateId,
  message: {
    message_id: 1,
    from: { id: 42_001, is_bot: false, first_name: "Beto" },
    chat: { id: 42_001, type: "private", first_name: "Beto" },
    date: 1_768_500_000,
    text: "/start google_ads",
    entities: [{ type: "bot_command", offset: 0, length: 6 }],
  },
});

describe("Telegram webhook", () => {
  it("registers the webhook with its secret", () => {
    const call = telegram.calls.find((c) => c.method === "setWebhook");
    expect(call?.body).toMatchObject({ url: "https://bot.inmobiliaria.example/telegram/webhook", secret_token: SECRET });
  });

  it("refuses a request without the right secret (401) and changes nothing", async () => {
    expect((await post(startUpdate(1), null)).status).toBe(401);
    expect((await post(startUpdate(2), "wrong")).status).toBe(401);
    expect((await server.sql("SELECT COUNT(*) AS n FROM leads"))[0].n).toBe(0);
  });

  it("handles an update with the right secret", async () => {
    expect((await post(startUpdate(3), SECRET)).status).toBe(200);
    expect(await server.sql("SELECT source, pipeline_stage FROM leads WHERE telegram_chat_id = 42001")).toEqual([
      { source: "google_ads", pipeline_stage: "entrada" },
    ]);
    expect(telegram.delivered(42_001)[0]!.text).toMatch(/^¡Hola Beto!/);
  });

  it("survives a malformed update: logged, acknowledged, nothing written", async () => {
    const before = (await server.sql("SELECT COUNT(*) AS n FROM messages"))[0].n;
    expect((await post({ nonsense: true }, SECRET)).status).toBe(200);
    expect((await post({ update_id: 9, message: { text: 5 } }, SECRET)).status).toBe(200);
    expect((await server.sql("SELECT COUNT(*) AS n FROM messages"))[0].n).toBe(before);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });
});
