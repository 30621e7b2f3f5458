/**
 * `npm run demo`: the guide's whole journey, narrated in the terminal, with no
 * keys and no network: the product runs on a temporary database against the
 * local fakes (Telegram, Twilio, OpenAI Realtime, Google Calendar) and a clock
 * that jumps ahead where the story waits hours or days.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type SQL } from "drizzle-orm";
import { rawRows } from "../../db/prepared";
import { createManualClock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import { STAGE_LABELS, type PipelineStage } from "../../src/domain/vocabulary";
import { createLogger } from "../../src/logger";
import { buildProspecta } from "../../src/prospecta";
import { startFakeGoogleCalendar } from "../fakes/google-calendar";
import { connectMediaStream } from "../fakes/media-streams-client";
import { startFakeRealtime } from "../fakes/openai-realtime";
import { startFakeTelegram } from "../fakes/telegram-bot-api";
import { startFakeTwilio } from "../fakes/twilio-rest";
import { startFakeTwilioMessaging } from "../fakes/twilio-messaging";
import { startTwilioRouter } from "../fakes/twilio-router";

const HOUR = 3_600_000;
const lead = { id: 700_001, first_name: "Valeria", last_name: "Soto" };
const admin = { id: 700_099, first_name: "Laura" };
const say = (who: string, text: string) => console.log(`   ${who}: ${text.replace(/\n/g, "\n      ")}`);
const step = (title: string) => console.log(`\n▶ ${title}`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean | Promise<boolean>, what: string) {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await pause(10);
  }
  throw new Error(`la demo se quedó esperando: ${what}`);
}

const dir = mkdtempSync(join(tmpdir(), "prospecta-demo-"));
const telegram = await startFakeTelegram();
const realtime = await startFakeRealtime();
const twilio = await startFakeTwilio();
let productUrl = "";
const whatsapp = await startFakeTwilioMessaging({ sender: "+5215550001111", routeWebhook: (url) => url.replace("https://demo.local", productUrl) });
// The product has one Twilio base for calls and messages: a router in front of both fakes.
const twilioApi = await startTwilioRouter({ voice: twilio.apiBase, messaging: whatsapp.apiBase });
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const calendarId = "ventas@inmobiliaria.example";
const clientEmail = "demo@agencia.iam.gserviceaccount.com";
const google = await startFakeGoogleCalendar({ calendarId, serviceAccount: { clientEmail, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() } });
const clock = createManualClock("2026-01-15T16:00:00Z"); // jueves 10:00 en la Ciudad de México
const prospecta = await buildProspecta(
  loadConfig({
    DATABASE_URL: join(dir, "demo.db"),
    ADMIN_API_TOKEN: "demo-admin-token-0123456789",
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_MAX_PER_SECOND: "0",
    TELEGRAM_ADMIN_IDS: String(admin.id),
    TELEGRAM_ADMIN_CHAT_ID: "-100700",
    LLM_PROVIDER: "offline",
    OPENAI_API_KEY: realtime.apiKey,
    OPENAI_REALTIME_URL: realtime.url,
    VOICE_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_PHONE_NUMBER: "+525500000000",
    WEBHOOK_BASE_URL: "https://demo.local",
    TWILIO_API_BASE: twilioApi.apiBase,
    WHATSAPP_PROVIDER: "twilio",
    TWILIO_WHATSAPP_NUMBER: "+5215550001111",
    GOOGLE_CALENDAR_ID: calendarId,
    GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ client_email: clientEmail, private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() }),
    GOOGLE_API_ROOT: google.rootUrl,
  }),
  { clock, logger: createLogger("silent") },
);
await prospecta.app.listen({ port: 0, host: "127.0.0.1" });
productUrl = `http://127.0.0.1:${(prospecta.app.server.address() as { port: number }).port}`;
await prospecta.startBot();
const { services, campaignEngine, booking, db } = prospecta;
/** The first row of a raw query on the product's database. */
const firstRow = async (query: SQL) => (await db.run((q) => rawRows<Record<string, any>>(q, query)))[0]!;
const row = () => firstRow(sql`SELECT * FROM leads WHERE telegram_chat_id = ${lead.id}`);
const stage = async () => STAGE_LABELS[(await row()).pipeline_stage as PipelineStage];
let seen = 0;
async function showLeadInbox(minimum: number) {
  await until(() => telegram.delivered(lead.id).length >= seen + minimum, "mensajes al lead");
  await campaignEngine.idle();
  await pause(50);
  for (const message of telegram.delivered(lead.id).slice(seen)) say("Bot → Valeria", message.text);
  seen = telegram.delivered(lead.id).length;
}
async function leadWrites(text: string, answers: number) {
  say("Valeria", text);
  telegram.userSays(lead, text);
  await showLeadInbox(answers);
}

try {
  step("La agencia activa la campaña de ejemplo «Bienvenida Leads Nuevos» y una de calificación por llamada");
  await services.campaigns.updateCampaign(1, { status: "active" }, "demo");
  const call = await services.campaigns.createCampaign({ name: "Calificación por llamada", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "calificacion_financiera" } }, "demo");
  await services.campaigns.addStep(call.id, { step_number: 1, action: "start_call", agent_type: "financiero", delay_hours: 0.5 }, "demo");
  await services.campaigns.updateCampaign(call.id, { status: "active" }, "demo");

  step("1. Un lead llega desde un anuncio de Facebook y abre el bot");
  await leadWrites("/start fb_ads_roma", 2);
  console.log(`   Etapa: ${await stage()} · origen: ${(await row()).source}`);

  step("2. Un día después la campaña lo mueve a perfilamiento");
  clock.advance(24 * HOUR);
  await campaignEngine.runPass();
  console.log(`   Etapa: ${await stage()}`);

  step("3. El lead cuenta qué busca: el agente extrae y avanza solo");
  await leadWrites("Busco un depa en la Roma o la Condesa, unos 3.5 millones", 2);
  telegram.pushUpdate({ message: { message_id: 1, from: { ...lead, is_bot: false }, chat: { id: lead.id, type: "private" }, date: 1_768_500_000, contact: { phone_number: "5215512349876", first_name: "Valeria", user_id: lead.id } } });
  say("Valeria", "(comparte su teléfono con el botón)");
  await showLeadInbox(1);
  const profile = await row();
  console.log(`   Etapa: ${await stage()} · perfil: ${profile.property_type}, ${profile.location}, hasta ${profile.budget_max} · tel. guardado`);

  step("4. Media hora después la campaña de calificación llama (Twilio + OpenAI Realtime)");
  clock.advance(HOUR);
  await campaignEngine.runPass();
  const placed = await firstRow(sql`SELECT * FROM voice_calls WHERE lead_id = ${(await row()).id}`);
  await services.calls.applyStatus({ callId: placed.id, callSid: placed.provider_call_sid, status: "in-progress" });
  const port = (prospecta.app.server.address() as { port: number }).port;
  const phone = await connectMediaStream(`ws://127.0.0.1:${port}/voice/stream`);
  phone.start(placed.id, "financiero", placed.provider_call_sid);
  await until(() => phone.received.some((m) => m.event === "media"), "el saludo del agente de voz");
  phone.speak(25);
  realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", content_index: 0, transcript: "Sí, lo pagaría de contado" });
  await pause(100);
  phone.stop(placed.provider_call_sid);
  await phone.closed;
  // SQLite answers the flag as 0/1, PostgreSQL as true/false.
  await until(async () => Boolean((await row()).financially_approved), "la aprobación");
  const detail = await services.calls.getCallWithTranscript(placed.id);
  for (const line of detail.transcript) say(line.speaker === "agent" ? "Agente de voz" : "Valeria (voz)", line.text);
  console.log(`   Resumen: ${detail.summary}`);
  console.log(`   Aprobada financieramente: sí (regla: pago de contado)`);

  step("5. Valeria pide horarios, elige uno y se crea la cita con Google Meet");
  await leadWrites("¿Qué horarios tienen?", 2);
  const offer = telegram.delivered(lead.id).at(-1)!;
  const buttons = (offer.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard.flat();
  say("Valeria", `(toca «${buttons[0]!.text}»)`);
  telegram.userPresses(lead, buttons[0]!.callback_data, offer.message_id);
  await showLeadInbox(1);
  console.log(`   Etapa: ${await stage()}`);

  step("6. Recordatorios 24 h y 1 h antes; tras la reunión, seguimiento");
  const appointment = (await firstRow(sql`SELECT * FROM appointments WHERE lead_id = ${(await row()).id}`)) as { starts_at: number; ends_at: number };
  clock.set(new Date(appointment.starts_at - 23 * HOUR));
  await booking.runDueReminders();
  clock.set(new Date(appointment.starts_at - 30 * 60_000));
  await booking.runDueReminders();
  await showLeadInbox(2);
  clock.set(new Date(appointment.ends_at + 60_000));
  await booking.runDueReminders();
  console.log(`   Etapa: ${await stage()}`);

  step("7. Una asesora cierra la venta desde Telegram");
  const before = telegram.delivered(admin.id).length;
  const leadId = (await row()).id;
  say("Laura (admin)", `/mover ${leadId} ganado Firmó la promesa de compra`);
  telegram.userSays(admin, `/mover ${leadId} ganado Firmó la promesa de compra`);
  await until(() => telegram.delivered(admin.id).length > before, "la respuesta al admin");
  say("Bot → Laura", telegram.delivered(admin.id).at(-1)!.text);
  console.log("\n   Avisos que recibió el grupo de asesores:");
  for (const notice of telegram.delivered(-100_700)) say("Bot → asesores", notice.text);

  step("8. Otro lead llega por WhatsApp desde un anuncio de clic a WhatsApp: los mismos agentes");
  const diego = "+5213312345678";
  const inbound = whatsapp.inbound({ url: "https://demo.local/whatsapp/incoming" });
  let seenOnWhatsApp = 0;
  const diegoWrites = async (text: string, send: () => Promise<unknown>) => {
    say("Diego (WhatsApp)", text);
    await send();
    await prospecta.whatsapp!.idle();
    await campaignEngine.idle();
    for (const message of whatsapp.messagesTo(diego).slice(seenOnWhatsApp)) say("WhatsApp → Diego", message.text);
    seenOnWhatsApp = whatsapp.messagesTo(diego).length;
  };
  await diegoWrites("Hola, vi su anuncio de casas en Zapopan", () => inbound.userFromAd(diego, "Hola, vi su anuncio de casas en Zapopan", {}, { ProfileName: "Diego Ruiz" }));
  await diegoWrites("Busco casa en Zapopan de unos 4 millones", () => inbound.userSays(diego, "Busco casa en Zapopan de unos 4 millones"));
  await diegoWrites("Tengo crédito preaprobado", () => inbound.userSays(diego, "Tengo crédito preaprobado"));
  const list = whatsapp.messagesTo(diego).at(-1)!;
  await diegoWrites("(toca «Opción 1» en la lista)", () => inbound.userPicks(diego, { kind: "list", id: list.contentVariables?.["2"] ?? "", title: "Opción 1" }));
  const diegoRow = await firstRow(sql`SELECT * FROM leads WHERE whatsapp_id = ${diego.slice(1)}`);
  console.log(`   Etapa: ${STAGE_LABELS[diegoRow.pipeline_stage as PipelineStage]} · origen: ${diegoRow.source} (anuncio ${JSON.parse(diegoRow.source_detail).ad_id})`);

  step("Métricas del pipeline");
  const metrics = await services.pipeline.metrics();
  for (const s of metrics.stages) console.log(`   ${STAGE_LABELS[s.stage].padEnd(24)} ${String(s.count).padStart(3)}`);
  console.log(`   Ganados: ${metrics.totals.won} · tasa de cierre: ${metrics.totals.win_rate === null ? "—" : `${Math.round(metrics.totals.win_rate * 100)}%`}`);
  console.log("\nListo: todo esto corrió en esta máquina, sin llaves ni red.");
} finally {
  await prospecta.close();
  await Promise.all([telegram.close(), realtime.close(), twilio.close(), google.close(), whatsapp.close(), twilioApi.close()]);
  rmSync(dir, { recursive: true, force: true });
}
