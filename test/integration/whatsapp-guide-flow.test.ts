/**
 * The user's guide's example flow, on WhatsApp: a lead from a click-to-WhatsApp
 * ad, a WhatsApp welcome campaign, the profile with the agents, approval, a
 * slot tapped in the list, the Google Meet event, reminders, seguimiento after
 * the meeting, and an admin closing the deal from the Telegram admin bot.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from "../fakes/google-calendar";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startFakeTwilioMessaging } from "../fakes/twilio-messaging";
import { whatsappEnv, googleOAuthEnv, startTestServer, telegramEnv, TEST_WEBHOOK_BASE, type TestServer } from "./test-server";

const CALENDAR = "ventas@inmobiliaria.example";
const ADMIN_CHAT = -100_888;
const admin = { id: 990_100, first_name: "Laura" };
const NUMBER = "+5213340000001";
const REMINDER_TEMPLATE = "HXbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

let fake: Awaited<ReturnType<typeof startFakeTwilioMessaging>>;
let telegram: FakeTelegram;
let google: FakeGoogleCalendar;
let server: TestServer;

beforeAll(async () => {
  fake = await startFakeTwilioMessaging({ sender: "+5215550001111", routeWebhook: (url) => url.replace(TEST_WEBHOOK_BASE, server.baseUrl) });
  fake.registerTemplate(REMINDER_TEMPLATE, { body: "Hola {{1}}, te recordamos tu cita: {{2}}. {{3}}", variables: { 1: "cliente", 2: "pronto", 3: "-" } });
  telegram = await startFakeTelegram();
  const oauth = { clientId: "client-wa", clientSecret: "secret-wa", refreshToken: "refresh-wa" };
  google = await startFakeGoogleCalendar({ calendarId: CALENDAR, oauth });
  server = await startTestServer({
    env: {
      ...telegramEnv(telegram),
      TELEGRAM_ADMIN_IDS: String(admin.id),
      TELEGRAM_ADMIN_CHAT_ID: String(ADMIN_CHAT),
      ...googleOAuthEnv(google, CALENDAR, oauth),
      ...whatsappEnv(fake),
      WHATSAPP_REMINDER_CONTENT_SID: REMINDER_TEMPLATE,
    },
  });
  await server.prospecta.startBot();
});
afterAll(async () => {
  await server.close();
  await Promise.all([fake.close(), telegram.close(), google.close()]);
});

const settled = async () => {
  await server.prospecta.whatsapp!.idle();
  await server.prospecta.campaignEngine.idle();
  await fake.statusCallbacksIdle();
};
const says = async (text: string) => {
  await fake.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming` }).userSays(NUMBER, text);
  await settled();
};
const row = async () => (await server.sql("SELECT * FROM leads WHERE whatsapp_id = ?", NUMBER.slice(1)))[0];
const toLead = () => fake.messagesTo(NUMBER).map((m) => m.text);
const toAdmins = () => telegram.delivered(ADMIN_CHAT).map((m) => m.text);

describe("the guide's flow on WhatsApp", () => {
  it("takes an ad lead from its first WhatsApp message to ganado, nothing sent twice", async () => {
    const template = (await server.api("POST", "/templates", { name: "Bienvenida WhatsApp", channel: "whatsapp", content: "¡Hola {{first_name|}}! Gracias por escribirnos. Un asesor te acompaña en tu búsqueda." })).body;
    const campaign = (await server.api("POST", "/campaigns", { name: "Bienvenida WhatsApp", channel: "whatsapp", triggered_by: "stage_change", trigger_condition: { stage: "perfilamiento" } })).body;
    await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "send_message", message_template_id: template.id, delay_hours: 0 });
    expect((await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" })).status).toBe(200);

    // 1. The lead writes from the ad: a new lead with the ad as its source; the agent answers and the welcome goes out.
    await fake.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming` }).userFromAd(NUMBER, "Hola, vi su anuncio", {}, { ProfileName: "Valeria Soto" });
    await settled();
    expect(await row()).toMatchObject({ name: "Valeria Soto", source: "whatsapp_anuncio", pipeline_stage: "perfilamiento" });
    expect(toLead().filter((t) => t.includes("Gracias por escribirnos"))).toHaveLength(1);

    // 2. Perfilamiento → calificación financiera, admins told; 3. approval and the slot list.
    await says("Busco un departamento en Roma o Condesa, CDMX, de hasta 3.5 millones");
    expect((await row()).pipeline_stage).toBe("calificacion_financiera");
    expect(toAdmins().some((t) => t.startsWith("✅ Perfil completo"))).toBe(true);
    await says("Lo pagaría de contado");
    expect(toAdmins().some((t) => t.startsWith("💰 Aprobado"))).toBe(true);
    const offer = fake.messagesTo(NUMBER).at(-1)!;
    expect(offer.contentSid).toMatch(/^HX/);

    // 4. The lead taps the first slot: a Google Meet event, agendado, the link to the lead and the admins.
    await fake.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming` }).userPicks(NUMBER, { kind: "list", id: offer.contentVariables!["2"]!, title: "Opción 1" });
    await settled();
    expect((await row()).pipeline_stage).toBe("agendado");
    const [appointment] = await server.sql("SELECT * FROM appointments WHERE lead_id = ?", (await row()).id);
    expect(appointment.meet_link).toMatch(/meet\.google\.com/);
    expect(toLead().at(-1)).toContain(appointment.meet_link);
    expect(toAdmins().some((t) => t.startsWith("📅 Cita agendada") && t.includes(appointment.meet_link))).toBe(true);

    // 5. Reminders, once each, on WhatsApp (as text or as the approved template, by the window).
    const beforeReminders = fake.messagesTo(NUMBER).length;
    server.clock.set(new Date(appointment.starts_at - 23 * 3_600_000));
    await server.prospecta.booking.runDueReminders();
    await server.prospecta.booking.runDueReminders();
    server.clock.set(new Date(appointment.starts_at - 30 * 60_000));
    await server.prospecta.booking.runDueReminders();
    await settled();
    const reminders = fake.messagesTo(NUMBER).slice(beforeReminders);
    expect(reminders).toHaveLength(2);
    expect(reminders.every((m) => m.text.includes(appointment.meet_link))).toBe(true);

    // 6. After the meeting: seguimiento; an admin closes the deal from Telegram.
    server.clock.set(new Date(appointment.ends_at + 60_000));
    await server.prospecta.booking.runDueReminders();
    expect((await row()).pipeline_stage).toBe("seguimiento");
    const adminBefore = telegram.delivered(admin.id).length;
    telegram.userSays(admin, `/mover ${(await row()).id} ganado Firmó la promesa de compra`);
    await telegram.waitForDelivered(telegram.delivered().length + 1);
    expect(telegram.delivered(admin.id).length).toBeGreaterThan(adminBefore);
    expect((await row()).pipeline_stage).toBe("ganado");

    const history = (await server.api("GET", `/leads/${(await row()).id}`)).body.stage_history.map((h: { to_stage: string; actor: string }) => [h.to_stage, h.actor]);
    expect(history).toEqual([
      ["entrada", "bot:lead"],
      ["perfilamiento", "bot:lead"],
      ["calificacion_financiera", "bot:lead"],
      ["agendado", "bot:lead"],
      ["seguimiento", "system:appointments"],
      ["ganado", `telegram:admin:${admin.id}`],
    ]);
    // Nothing went twice: every text the lead got on WhatsApp is distinct.
    expect(new Set(toLead()).size).toBe(toLead().length);
    expect((await server.sql("SELECT COUNT(*) AS n FROM messages WHERE lead_id = ? AND channel != 'whatsapp'", (await row()).id))[0].n).toBe(0);
  });
});
