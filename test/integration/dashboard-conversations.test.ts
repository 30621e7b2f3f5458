/**
 * Conversaciones over real HTTP (no browser): a person takes a lead's chat over from the bot,
 * writes to the lead on the lead's own channel (Telegram, WhatsApp inside its 24-hour window) and
 * hands the chat back; every change needs the session's CSRF token and is audited with the person.
 * Runs on SQLite, and on PostgreSQL with TEST_DATABASE=postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, TELEGRAM_ERRORS, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startFakeTwilioMessaging, type FakeTwilioMessaging } from "../fakes/twilio-messaging";
import { signInToDashboard, type DashboardSession } from "./dashboard-session";
import { startTestServer, telegramEnv, TEST_WEBHOOK_BASE, whatsappEnv, type TestServer } from "./test-server";

const EMAIL = "direccion@agencia.mx";
const PASSWORD = "una-clave-de-arranque";
const ACTOR = `web:${EMAIL}`;

let telegram: FakeTelegram;
let twilio: FakeTwilioMessaging;
let server: TestServer;
let session: DashboardSession;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  twilio = await startFakeTwilioMessaging({ sender: "+5215550001111", routeWebhook: (url) => url.replace(TEST_WEBHOOK_BASE, server.baseUrl) });
  server = await startTestServer({
    env: { ...telegramEnv(telegram), ...whatsappEnv(twilio), DASHBOARD_ADMIN_EMAIL: EMAIL, DASHBOARD_ADMIN_PASSWORD: PASSWORD },
  });
  session = await signInToDashboard(server.baseUrl, EMAIL, PASSWORD);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await telegram?.close();
  await twilio?.close();
});

/** A change as htmx sends it: the CSRF header (unless `csrf: null`) and a form body. */
function change(path: string, form: Record<string, string> = {}, options: { csrf?: string | null; htmx?: boolean } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: session.cookie, "content-type": "application/x-www-form-urlencoded" };
  const csrf = options.csrf === undefined ? session.csrf : options.csrf;
  if (csrf !== null) headers["x-csrf-token"] = csrf;
  if (options.htmx !== false) headers["hx-request"] = "true";
  return fetch(`${server.baseUrl}/admin/conversaciones${path}`, { method: "POST", redirect: "manual", headers, body: new URLSearchParams(form).toString() });
}

async function page(path: string): Promise<{ status: number; html: string }> {
  const response = await fetch(`${server.baseUrl}/admin/conversaciones${path}`, { headers: { cookie: session.cookie } });
  return { status: response.status, html: await response.text() };
}

async function leadRow(id: number) {
  return (await server.sql("SELECT * FROM leads WHERE id = ?", id))[0];
}

async function audits(id: number, action: string) {
  return server.sql("SELECT actor, after FROM audit_logs WHERE entity = 'lead' AND entity_id = ? AND action = ? ORDER BY id", id, action);
}

async function telegramLead(name: string, chatId: number): Promise<number> {
  const created = await server.api("POST", "/leads", { name, telegram_chat_id: chatId });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe("Conversaciones", () => {
  it("lets a person take a Telegram chat over, write to the lead and hand it back, each change audited with the person", async () => {
    const id = await telegramLead("Ana López", 7001);
    const opened = await page(`/${id}`);
    expect(opened.status).toBe(200);
    expect(opened.html).toContain("Conversación con Ana López");
    expect(opened.html).toContain(">Tomar conversación</button>");
    expect(opened.html).not.toContain("Escribe un mensaje");

    // While the bot has the chat, a person may not write in it.
    const early = await change(`/${id}/mensajes`, { texto: "Hola" });
    expect(early.status).toBe(409);
    expect(await early.text()).toContain("Primero toma la conversación");
    expect(telegram.delivered(7001)).toEqual([]);

    const taken = await change(`/${id}/tomar`);
    expect(taken.status).toBe(200);
    expect(taken.headers.get("hx-trigger")).toBe("prospecta:hilo");
    const controls = await taken.text();
    expect(controls).toContain('<label for="texto">Escribe un mensaje</label>');
    expect(controls).toContain(">Enviar</button>");
    expect(controls).toContain(">Devolver al bot</button>");
    expect(controls).toContain(`Con asesor (${EMAIL})`);
    expect((await leadRow(id)).handoff_at).not.toBeNull();
    expect(await audits(id, "lead.handoff_requested")).toEqual([{ actor: ACTOR, after: null }]);
    // Nothing is said to the lead when a person takes over.
    expect(telegram.delivered(7001)).toEqual([]);

    const sent = await change(`/${id}/mensajes`, { texto: "  Hola Ana, soy Laura de la agencia.  " });
    expect(sent.status).toBe(200);
    expect(await sent.text()).not.toContain('role="alert"');
    expect(telegram.delivered(7001).map((m) => m.text)).toEqual(["Hola Ana, soy Laura de la agencia."]);
    const [stored] = await server.sql("SELECT * FROM messages WHERE lead_id = ? AND direction = 'outbound'", id);
    expect(stored).toMatchObject({ channel: "telegram", agent_type: "asesor", sent_by: ACTOR, text: "Hola Ana, soy Laura de la agencia.", status: "sent" });
    expect((await audits(id, "lead.message_sent")).map((row: { actor: string; after: string }) => ({ actor: row.actor, after: JSON.parse(row.after) }))).toEqual([
      { actor: ACTOR, after: { message_id: stored.id, channel: "telegram" } },
    ]);

    const thread = await page(`/${id}/mensajes?despues=0`);
    expect(thread.html).toContain(`data-id="${stored.id}"`);
    expect(thread.html).toContain("Hola Ana, soy Laura de la agencia.");
    expect(thread.html).toContain(`${EMAIL} (asesor)`);
    expect((await page(`/${id}/mensajes?despues=${stored.id}`)).html.trim()).toBe("");

    const list = await page("");
    expect(list.status).toBe(200);
    const withPerson = list.html.slice(list.html.indexOf('id="con-asesor"'), list.html.indexOf('id="con-bot"'));
    expect(withPerson).toContain("Ana López");
    expect(withPerson).toContain("Hola Ana, soy Laura de la agencia.");

    const back = await change(`/${id}/devolver`);
    expect(back.status).toBe(200);
    expect(await back.text()).toContain(">Tomar conversación</button>");
    expect((await leadRow(id)).handoff_at).toBeNull();
    expect((await audits(id, "lead.handoff_released")).map((row: { actor: string }) => row.actor)).toEqual([ACTOR]);
    expect((await change(`/${id}/mensajes`, { texto: "¿Sigues ahí?" })).status).toBe(409);
    expect(telegram.delivered(7001)).toHaveLength(1);
  });

  it("needs the session's CSRF token for every change", async () => {
    const id = await telegramLead("Beto Ruiz", 7002);
    for (const path of [`/${id}/tomar`, `/${id}/mensajes`, `/${id}/devolver`]) {
      expect((await change(path, { texto: "x" }, { csrf: null })).status).toBe(403);
      expect((await change(path, { texto: "x" }, { csrf: "x".repeat(43) })).status).toBe(403);
    }
    expect((await leadRow(id)).handoff_at).toBeNull();
    // A plain form (no htmx) carries the token as a field and goes back to the thread.
    const plain = await change(`/${id}/tomar`, { _csrf: session.csrf }, { csrf: null, htmx: false });
    expect(plain.status).toBe(303);
    expect(plain.headers.get("location")).toBe(`/admin/conversaciones/${id}`);
    expect((await leadRow(id)).handoff_at).not.toBeNull();
  });

  it("refuses an empty message or a lead that does not exist with a Spanish message", async () => {
    const id = await telegramLead("Carla Díaz", 7003);
    await change(`/${id}/tomar`);
    const empty = await change(`/${id}/mensajes`, { texto: "   " });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("Escribe un mensaje antes de enviarlo.");
    const missing = await change("/999999/tomar");
    expect(missing.status).toBe(404);
    const bad = await page("/abc");
    expect(bad.status).toBe(400);
    expect(bad.html).toContain("El lead no es válido.");
  });

  it("shows the person a message the channel did not deliver", async () => {
    const id = await telegramLead("Diego Mora", 7004);
    telegram.failChat(7004, TELEGRAM_ERRORS.blocked);
    await change(`/${id}/tomar`);
    const sent = await change(`/${id}/mensajes`, { texto: "Hola Diego" });
    expect(sent.status).toBe(200);
    const controls = await sent.text();
    expect(controls).toContain('role="alert"');
    expect(controls).toContain("Telegram no entregó el mensaje");
    const [stored] = await server.sql("SELECT status FROM messages WHERE lead_id = ? AND direction = 'outbound'", id);
    expect(stored.status).toBe("failed");
    expect((await page(`/${id}/mensajes?despues=0`)).html).toContain("No entregado");
  });

  it("writes on WhatsApp inside the 24-hour window, and explains why not outside it", async () => {
    const number = "+5213310000077";
    expect((await twilio.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming` }).userSays(number, "Hola, busco casa")).status).toBe(200);
    await server.prospecta.whatsapp!.idle();
    const [lead] = await server.sql("SELECT id FROM leads WHERE whatsapp_id = ?", "5213310000077");
    const botReplies = twilio.messagesTo(number).length;
    await change(`/${lead.id}/tomar`);
    const sent = await change(`/${lead.id}/mensajes`, { texto: "Hola, soy Laura; te ayudo con la casa." });
    expect(sent.status).toBe(200);
    expect(twilio.messagesTo(number).map((m) => m.text).slice(botReplies)).toEqual(["Hola, soy Laura; te ayudo con la casa."]);

    // The lead's last message, 25 hours ago (moving the clock would end the session too).
    await server.sql("UPDATE leads SET whatsapp_last_inbound_at = ? WHERE id = ?", new Date(server.clock.now().getTime() - 25 * 3_600_000), lead.id);
    const late = await change(`/${lead.id}/mensajes`, { texto: "¿Sigues interesado?" });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain("24 horas");
    expect(twilio.messagesTo(number)).toHaveLength(botReplies + 1);
  });

  it("lists a lead chatting with the bot this week under the bot, with its last message", async () => {
    const number = "+5213310000088";
    await twilio.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming` }).userSays(number, "Quiero rentar en Coyoacán");
    await server.prospecta.whatsapp!.idle();
    const { html } = await page("");
    const withBot = html.slice(html.indexOf('id="con-bot"'));
    expect(withBot).toContain("Cliente WhatsApp");
    expect(withBot).toContain("Con el bot");
  });
});
