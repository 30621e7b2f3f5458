/**
 * What a lead or a client can put in an update — button data, a shared
 * contact, text after a command — gets a sensible answer or none, never an
 * exception. Failures that do happen go through the dispatch guard: logged
 * with the update id and counted by surface. Webhook mode, so each POST
 * returns once its update is handled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startTestServer, TEST_TOKEN, telegramWebhookEnv, type TestServer } from "./test-server";

const SECRET = "hostile-values-webhook-secret";
const admin = { id: 616_001, first_name: "Laura", is_bot: false };
const eva = { id: 616_002, first_name: "Eva", is_bot: false };
let telegram: FakeTelegram;
let server: TestServer;
let nextUpdateId = 1;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  server = await startTestServer({ env: { ...telegramWebhookEnv(telegram, SECRET), TELEGRAM_ADMIN_IDS: String(admin.id) } });
  await server.prospecta.startBot();
});
afterAll(async () => {
  await server.close();
  await telegram.close();
});

async function post(body: unknown): Promise<number> {
  const response = await fetch(`${server.baseUrl}/telegram/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
    body: JSON.stringify(body),
  });
  return response.status;
}

const chatOf = (user: { id: number; first_name: string }) => ({ id: user.id, type: "private", first_name: user.first_name });

/** Posts a private message from `user` (a command when the text starts with "/"); resolves with the bot's answers to it. */
async function says(user: typeof eva, fields: Record<string, unknown>): Promise<string[]> {
  const before = telegram.delivered(user.id).length;
  const text = typeof fields.text === "string" ? fields.text : "";
  const entities = text.startsWith("/") ? [{ type: "bot_command", offset: 0, length: text.split(/\s/)[0]!.length }] : undefined;
  const message = { message_id: nextUpdateId, from: user, chat: chatOf(user), date: 1_768_500_000, ...(entities && { entities }), ...fields };
  expect(await post({ update_id: nextUpdateId++, message })).toBe(200);
  return telegram.delivered(user.id).slice(before).map((m) => m.text);
}

async function presses(user: typeof eva, data: string) {
  const id = `cb-${nextUpdateId}`;
  const message = { message_id: 1, chat: chatOf(user), date: 1_768_500_000, text: "Horarios" };
  expect(await post({ update_id: nextUpdateId++, callback_query: { id, from: user, chat_instance: "x", data, message } })).toBe(200);
  return telegram.calls.find((c) => c.method === "answerCallbackQuery" && c.body.callback_query_id === id)?.body;
}

async function failures(surface: string): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text();
  return Number(new RegExp(`prospecta_handler_failures_total\\{surface="${surface}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

const lead = async () => (await server.sql("SELECT * FROM leads WHERE telegram_chat_id = ?", eva.id))[0];

describe("hostile values in Telegram updates", () => {
  it("a /start payload typed by hand is no source; the lead is still greeted", async () => {
    expect(await says(eva, { text: "/start <script>alert(1)</script> hola" })).toEqual([expect.stringMatching(/^¡Hola Eva!/)]);
    expect((await lead()).source).not.toMatch(/script/);
  });

  it("slot buttons with data no button of ours carries get a plain answer and book nothing", async () => {
    for (const data of ["book:99999999999999999999", "book:abc", "book:", "book:-5", "book:1e9"]) {
      expect(await presses(eva, data)).toMatchObject({ text: expect.stringMatching(/botón ya no es válido/), show_alert: true });
    }
    expect((await server.sql("SELECT COUNT(*) AS n FROM appointments"))[0].n).toBe(0);
  });

  it("a shared contact that is not a phone number, or names no one, is refused with a reason and nothing is saved", async () => {
    expect(await says(eva, { contact: { phone_number: "no tengo", first_name: "Eva", user_id: eva.id } })).toEqual([expect.stringMatching(/No pude leer ese número/)]);
    expect(await says(eva, { contact: { phone_number: "+52 55 1234 5678 9999 0000", first_name: "Eva", user_id: eva.id } })).toEqual([
      expect.stringMatching(/No pude leer ese número/),
    ]);
    expect(await says(eva, { contact: { phone_number: "5215512345678", first_name: "Otra persona" } })).toEqual([expect.stringMatching(/no es tuyo/)]);
    expect((await lead()).phone).toBeNull();
    expect(await says(eva, { contact: { phone_number: "+52 1 55 1234 5678", first_name: "Eva", user_id: eva.id } })).toEqual([expect.stringMatching(/Guardé tu teléfono/)]);
    expect((await lead()).phone).toBe("+5215512345678");
  });

  it("admin commands with odd arguments answer with their usage", async () => {
    expect(await says(admin, { text: "/campana 1e3" })).toEqual([expect.stringMatching(/^Uso: \/campana <id>/)]);
    expect(await says(admin, { text: "/lead -5" })).toEqual([expect.stringMatching(/^Uso: \/lead <id>/)]);
    expect(await says(admin, { text: "/lead 0x10" })).toEqual([expect.stringMatching(/^Uso: \/lead <id>/)]);
    expect(await says(admin, { text: "/mover 99999999999999999999 perfilamiento" })).toEqual([expect.stringMatching(/^Uso: \/mover <id> <etapa>/)]);
    expect(await says(admin, { text: "/mover abc perfilamiento" })).toEqual([expect.stringMatching(/^Uso: \/mover <id> <etapa>/)]);
    expect(await says(admin, { text: "/activar" })).toEqual([expect.stringMatching(/^Uso: \/activar <id>/)]);
    // Well-formed ids still work, "#" as the listings write them included.
    const { id } = await lead();
    expect(await says(admin, { text: `/lead #${id}` })).toEqual([expect.stringMatching(new RegExp(`^#${id} Eva`))]);
  });

  it("a malformed webhook body is acknowledged and dropped: nothing stored, no handler ran", async () => {
    const before = { failures: await failures("telegram_webhook"), messages: (await server.sql("SELECT COUNT(*) AS n FROM messages"))[0].n };
    expect(await post({ update_id: "uno", message: {} })).toBe(200);
    expect(await post([1, 2, 3])).toBe(200);
    expect(await failures("telegram_webhook")).toBe(before.failures);
    expect((await server.sql("SELECT COUNT(*) AS n FROM messages"))[0].n).toBe(before.messages);
  });

  it("an update whose fields have the wrong types is refused before any feature: no answer, nothing stored", async () => {
    const before = { failures: await failures("telegram_update"), messages: (await server.sql("SELECT COUNT(*) AS n FROM messages"))[0].n };
    // Text that is not a string: Telegram never sends it.
    expect(await says(eva, { text: { not: "a string" } })).toEqual([]);
    expect(await failures("telegram_update")).toBe(before.failures);
    expect((await server.sql("SELECT COUNT(*) AS n FROM messages"))[0].n).toBe(before.messages);
    expect(await says(eva, { text: "Busco un depa en Polanco" })).toHaveLength(1);
  });
});
