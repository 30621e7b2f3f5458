/**
 * Logs at debug level across a busy stretch (bot chat with a shared phone, a
 * failing model, a blocked chat in a campaign, a voice call with webhooks and
 * a dropped model): no bot token, API key, auth token, admin token or full
 * phone number ever reaches them.
 */
import { Writable } from "node:stream";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger";
import { connectMediaStream } from "../fakes/media-streams-client";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai-chat";
import { startFakeRealtime, type FakeRealtime } from "../fakes/openai-realtime";
import { startFakeTelegram, TELEGRAM_ERRORS, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startFakeTwilio, type FakeTwilio } from "../fakes/twilio-rest";
import { startTestServer, TEST_TOKEN, telegramEnv, type TestServer } from "./test-server";

const WEBHOOK_BASE = "https://voz.inmobiliaria.example";
const lines: string[] = [];
let telegram: FakeTelegram;
let openai: FakeOpenAI;
let realtime: FakeRealtime;
let twilioFake: FakeTwilio;
let server: TestServer;

beforeAll(async () => {
  telegram = await startFakeTelegram("987654321:AAF-secret-bot-token-abcdefghijkl");
  openai = await startFakeOpenAI("sk-test-secret-openai-key-123456");
  realtime = await startFakeRealtime("sk-test-secret-openai-key-123456");
  twilioFake = await startFakeTwilio("AC00000000000000000000000000000009", "twilio-secret-auth-token-xyz");
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  server = await startTestServer({
    seedSamples: true,
    logger: createLogger("trace", sink),
    env: {
      ...telegramEnv(telegram),
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.baseUrl,
      LLM_TIMEOUT_MS: "500",
      VOICE_PROVIDER: "twilio",
      TWILIO_ACCOUNT_SID: twilioFake.accountSid,
      TWILIO_AUTH_TOKEN: twilioFake.authToken,
      TWILIO_PHONE_NUMBER: "+525500000000",
      WEBHOOK_BASE_URL: WEBHOOK_BASE,
      TWILIO_API_BASE: twilioFake.apiBase,
      OPENAI_REALTIME_URL: realtime.url,
    },
  });
  await server.prospecta.startBot();
});
afterAll(async () => {
  await server.close();
  await Promise.all([telegram.close(), openai.close(), realtime.close(), twilioFake.close()]);
});

const until = async (check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 400 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe("log hygiene", () => {
  it("keeps every secret and phone number out of the logs", async () => {
    // Chat: the model fails (500), then a shared contact with the phone.
    openai.answer = () => ({ kind: "error", status: 500, message: "upstream exploded" });
    const user = { id: 4_440_001, first_name: "Lupita" };
    telegram.userSays(user, "/start");
    telegram.userSays(user, "busco casa en Zapopan de 3 millones, mi cel es +52 55 1234 5678");
    await until(() => telegram.delivered(user.id).length >= 2);

    // Campaign: a blocked chat.
    telegram.failChat(4_440_002, TELEGRAM_ERRORS.blocked);
    await server.api("PUT", "/campaigns/1", { status: "active" });
    await server.api("POST", "/leads", { name: "Bloqueado", telegram_chat_id: 4_440_002, phone: "+525598765432" });
    await server.prospecta.campaignEngine.idle();

    // Voice: a call, signed webhooks, a stream, the model dropping.
    const lead = (await server.api("POST", "/leads", { name: "Llamada", phone: "+525511223344" })).body;
    const call = (await server.api("POST", "/calls/initiate", { lead_id: lead.id, agent_type: "perfilador", force: true })).body;
    const params = { CallSid: call.call_sid, CallStatus: "in-progress", From: "+525500000000", To: "+525511223344" };
    const path = `/voice/status?call_id=${call.call_id}`;
    await fetch(`${server.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilio.getExpectedTwilioSignature(twilioFake.authToken, `${WEBHOOK_BASE}${path}`, params) },
      body: new URLSearchParams(params).toString(),
    });
    await fetch(`${server.baseUrl}/voice/incoming`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "forged" }, body: "From=%2B525577778888" });
    const stream = await connectMediaStream(`${server.baseUrl.replace("http", "ws")}/voice/stream`);
    stream.start(call.call_id, "perfilador", call.call_sid);
    await until(() => stream.received.some((m) => m.event === "media"));
    realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "i", content_index: 0, transcript: "mi número es 55 8765 4321" });
    realtime.drop();
    await stream.closed;
    await until(async () => (await server.sql("SELECT summary FROM voice_calls WHERE id = ?", call.call_id))[0].summary !== null);

    const log = lines.join("");
    expect(log).toContain("lead_id"); // the logs are real and carry ids
    expect(lines.length).toBeGreaterThan(10);
    for (const secret of [
      "AAF-secret-bot-token-abcdefghijkl",
      "sk-test-secret-openai-key-123456",
      "twilio-secret-auth-token-xyz",
      TEST_TOKEN,
    ]) {
      expect(log, secret).not.toContain(secret);
    }
    for (const phone of ["5512345678", "525598765432", "525511223344", "525577778888", "5587654321"]) {
      expect(log.replace(/[\s-]/g, ""), phone).not.toContain(phone);
    }
    expect(log).not.toContain("mi número es");
  });
});
