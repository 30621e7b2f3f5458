/**
 * The user's guide, "Ejemplo Completo de Flujo", as one story through the real
 * product and every local fake: an ad lead on Telegram, the welcome campaign,
 * the profile in chat, the qualification call, the Meet booking, reminders,
 * follow-up, and an admin closing the deal.
 */
import { generateKeyPairSync } from "node:crypto";
import { Writable } from "node:stream";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger";
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from "../fakes/google-calendar";
import { connectMediaStream } from "../fakes/media-streams-client";
import { startFakeRealtime, type FakeRealtime } from "../fakes/openai-realtime";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startFakeTwilio, type FakeTwilio } from "../fakes/twilio-rest";
import { startTestServer, TEST_TOKEN, TEST_WEBHOOK_BASE, telegramEnv, type TestServer, voiceEnv } from "./test-server";

const HOUR = 3_600_000;
const WEBHOOK_BASE = TEST_WEBHOOK_BASE;
const CALENDAR = "ventas@inmobiliaria.example";
const ADMIN_CHAT = -100_777;
const lead = { id: 660_001, first_name: "Valeria", last_name: "Soto", username: "valesoto" };
const admin = { id: 990_099, first_name: "Laura" };

let telegram: FakeTelegram;
let realtime: FakeRealtime;
let twilioFake: FakeTwilio;
let google: FakeGoogleCalendar;
let server: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  telegram = await startFakeTelegram();
  realtime = await startFakeRealtime();
  twilioFake = await startFakeTwilio();
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const clientEmail = "prospecta@agencia.iam.gserviceaccount.com";
  google = await startFakeGoogleCalendar({ calendarId: CALENDAR, serviceAccount: { clientEmail, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() } });
  server = await startTestServer({
    seedSamples: true,
    logger: createLogger("debug", new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) })),
    env: {
      ...telegramEnv(telegram),
      TELEGRAM_ADMIN_IDS: String(admin.id),
      TELEGRAM_ADMIN_CHAT_ID: String(ADMIN_CHAT),
      ...voiceEnv(twilioFake, realtime),
      GOOGLE_CALENDAR_ID: CALENDAR,
      GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ client_email: clientEmail, private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() }),
      GOOGLE_API_ROOT: google.rootUrl,
    },
  });
  await server.prospecta.startBot();
});
afterAll(async () => {
  await server.close();
  await Promise.all([telegram.close(), realtime.close(), twilioFake.close(), google.close()]);
});

const until = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
const row = async () => (await server.sql("SELECT * FROM leads WHERE telegram_chat_id = ?", lead.id))[0];
const toLead = () => telegram.delivered(lead.id).map((m) => m.text);
/** The lead writes; resolves when `count` more messages reached the lead. */
async function leadSays(text: string, count = 1) {
  const before = telegram.delivered(lead.id).length;
  telegram.userSays(lead, text);
  await until(() => telegram.delivered(lead.id).length >= before + count, `answers to «${text}»`);
  await server.prospecta.campaignEngine.idle();
  return telegram.delivered(lead.id).slice(before);
}
async function signedStatus(callId: number, callSid: string, status: string) {
  const params = { CallSid: callSid, CallStatus: status };
  const path = `/voice/status?call_id=${callId}`;
  const signature = twilio.getExpectedTwilioSignature(twilioFake.authToken, `${WEBHOOK_BASE}${path}`, params);
  const response = await fetch(`${server.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: new URLSearchParams(params).toString() });
  expect(response.status).toBe(204);
}
const metrics = async () => (await server.api("GET", "/pipeline/metrics")).body;
const stageCount = async (stage: string) => (await metrics()).stages.find((s: { stage: string }) => s.stage === stage).count;

describe("Ejemplo Completo de Flujo", () => {
  it("takes an ad lead from /start to ganado, each step checked and nothing sent twice", async () => {
    // The agency's set-up, through the API as in the guide.
    expect((await server.api("PUT", "/campaigns/1", { status: "active" })).status).toBe(200); // "Bienvenida Leads Nuevos"
    const qualification = (
      await server.api("POST", "/campaigns", { name: "Calificación por llamada", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "calificacion_financiera" } })
    ).body;
    // Half an hour after entering the stage: time for the lead to share the phone.
    await server.api("POST", `/campaigns/${qualification.id}/steps`, { step_number: 1, action: "start_call", agent_type: "financiero", delay_hours: 0.5 });
    await server.api("PUT", `/campaigns/${qualification.id}`, { status: "active" });

    // 1. Lead Entra al Sistema, from an ad.  2. Campaña se Dispara Automáticamente.
    const first = await leadSays("/start fb_ads_roma", 2);
    // The bot's greeting and the campaign's welcome, in whichever order they arrive.
    expect(first.map((m) => m.text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^¡Hola Valeria!/), expect.stringMatching(/^Hola Valeria Soto, gracias por tu interés/)]),
    );
    expect(await row()).toMatchObject({ pipeline_stage: "entrada", source: "fb_ads_roma" });
    server.clock.advance(24 * HOUR);
    await server.api("POST", "/campaigns/run");
    expect((await row()).pipeline_stage).toBe("perfilamiento");
    await server.api("POST", "/campaigns/run");
    expect(toLead().filter((t) => t.startsWith("Hola Valeria Soto, gracias")).length).toBe(1);

    // 3. Lead Responde: budget and location → calificacion_financiera; the phone button follows.
    const answers = await leadSays("Busco un depa en la Roma o la Condesa, unos 3.5 millones", 2);
    expect(await row()).toMatchObject({ pipeline_stage: "calificacion_financiera", property_type: "departamento", budget_max: 3_500_000 });
    expect(JSON.stringify(answers[1]!.reply_markup)).toContain("request_contact");
    telegram.pushUpdate({
      message: { message_id: 77, from: { ...lead, is_bot: false }, chat: { id: lead.id, type: "private" }, date: 1_768_500_000, contact: { phone_number: "5215512349876", first_name: "Valeria", user_id: lead.id } },
    });
    await until(async () => (await row()).phone === "+5215512349876", "the phone");

    // 4. Llamada Automática: the qualification campaign places the call after its delay.
    server.clock.advance(HOUR);
    await server.api("POST", "/campaigns/run");
    const [call] = await server.sql("SELECT * FROM voice_calls WHERE lead_id = ?", (await row()).id);
    expect(call).toMatchObject({ campaign_id: qualification.id, agent_type: "financiero", to_number: "+5215512349876" });
    expect(twilioFake.calls).toHaveLength(1);
    await signedStatus(call.id, call.provider_call_sid, "in-progress");
    const phone = await connectMediaStream(`${server.baseUrl.replace("http", "ws")}/voice/stream`);
    phone.start(call.id, "financiero", call.provider_call_sid);
    await until(() => phone.received.filter((m) => m.event === "media").length >= 5, "the agent's greeting");
    phone.speak(25);
    realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", content_index: 0, transcript: "Sí, lo pagaría de contado" });
    await until(async () => (await server.sql("SELECT COUNT(*) AS n FROM call_transcripts WHERE call_id = ?", call.id))[0].n >= 2, "the transcript");
    phone.stop(call.provider_call_sid);
    await phone.closed;
    await signedStatus(call.id, call.provider_call_sid, "completed");
    // The approval is written before the call's summary and facts: the finalisation ends with those.
    const summarized = async () => (await server.sql("SELECT summary FROM voice_calls WHERE id = ?", call.id))[0].summary !== null;
    await until(async () => (await row()).financially_approved === 1 && (await summarized()), "the approval and the call's summary");
    const detail = (await server.api("GET", `/calls/${call.id}`)).body;
    expect(detail).toMatchObject({ status: "completed", extracted: { credit_type: "contado" } });
    expect(detail.summary).toMatch(/contado/);
    await until(() => telegram.delivered(ADMIN_CHAT).some((m) => m.text.startsWith("📞 Llamada")), "the call summary for admins");

    // 5. Cita Agendada: the lead asks, gets three slots, picks one → Google Meet, agendado.
    const offer = await leadSays("¿Qué horarios tienen para ver opciones?", 2);
    const buttons = (offer[1]!.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard.flat();
    expect(buttons).toHaveLength(3);
    const before = telegram.delivered(lead.id).length;
    telegram.userPresses(lead, buttons[0]!.callback_data, offer[1]!.message_id);
    await until(() => telegram.delivered(lead.id).length > before, "the confirmation");
    expect(telegram.delivered(lead.id).at(-1)!.text).toMatch(/Enlace de Google Meet: https:\/\/meet\.google\.com\//);
    expect(google.events).toHaveLength(1);
    expect((await row()).pipeline_stage).toBe("agendado");
    const [appointment] = await server.sql("SELECT * FROM appointments WHERE lead_id = ?", (await row()).id);

    // Reminders 24 h and 1 h before, once each.
    server.clock.set(new Date(appointment.starts_at - 23 * HOUR));
    await server.prospecta.booking.runDueReminders();
    await server.prospecta.booking.runDueReminders();
    server.clock.set(new Date(appointment.starts_at - 30 * 60_000));
    await server.prospecta.booking.runDueReminders();
    expect(toLead().filter((t) => /te recuerdo tu cita/.test(t))).toHaveLength(1);
    expect(toLead().filter((t) => /empieza en una hora/.test(t))).toHaveLength(1);

    // 6. Seguimiento Post-Reunión, then an admin closes the deal.
    server.clock.set(new Date(appointment.ends_at + 60_000));
    await server.prospecta.booking.runDueReminders();
    expect((await row()).pipeline_stage).toBe("seguimiento");
    const adminBefore = telegram.delivered(admin.id).length;
    telegram.userSays(admin, `/mover ${(await row()).id} ganado Firmó la promesa de compra`);
    await until(() => telegram.delivered(admin.id).length > adminBefore, "the admin's answer");
    expect((await row()).pipeline_stage).toBe("ganado");

    // The trail: every stage, who moved it, audited; metrics; nothing twice.
    const history = await server.sql("SELECT to_stage, actor FROM lead_stage_history WHERE lead_id = ? ORDER BY id", (await row()).id);
    expect(history).toEqual([
      { to_stage: "entrada", actor: "bot:lead" },
      { to_stage: "perfilamiento", actor: "campaign:1" },
      { to_stage: "calificacion_financiera", actor: "bot:lead" },
      { to_stage: "agendado", actor: "bot:lead" },
      { to_stage: "seguimiento", actor: "system:appointments" },
      { to_stage: "ganado", actor: `telegram:admin:${admin.id}` },
    ]);
    expect((await server.sql("SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'lead.stage_change' AND entity_id = ?", (await row()).id))[0].n).toBe(5);
    expect(await stageCount("ganado")).toBe(1);
    expect((await metrics()).totals).toMatchObject({ won: 1 });
    const sent = telegram.delivered(lead.id).map((m) => m.text);
    expect(new Set(sent.filter((t) => !/horarios disponibles/.test(t))).size).toBe(sent.filter((t) => !/horarios disponibles/.test(t)).length);
    expect(twilioFake.calls).toHaveLength(1);
    const scrape = await (await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text();
    expect(scrape).toMatch(/prospecta_leads\{stage="ganado"\} 1/);

    // The logs of the whole story: ids, never secrets or the lead's phone.
    const logs = logLines.join("");
    expect(logs).toContain("call_id");
    for (const secret of [telegram.token.split(":")[1]!, realtime.apiKey, twilioFake.authToken, TEST_TOKEN, "5215512349876", "5512349876"]) {
      expect(logs, secret).not.toContain(secret);
    }
  });
});
