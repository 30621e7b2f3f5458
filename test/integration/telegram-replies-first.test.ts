/**
 * Issue 13, as an admin met it: the admins' group had notices queued (one a
 * second per chat is all Telegram takes), an admin sent /campanas there, and
 * the answer came only after every notice. The real product against the fake
 * Bot API, with Telegram's real pace (TELEGRAM_MAX_PER_SECOND=30, one message
 * a second per chat): the answer goes out next, ahead of the notices still
 * queued. Asserted on the order the fake received them, not on times.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startTestServer, telegramEnv, type TestServer } from "./test-server";

/** The admins' group: notices go there, and admins write there. */
const ADMIN_CHAT = -100_4242;
const boss = { id: 777_101, first_name: "Laura", username: "laura_asesora" };
/** Notices queued at once: the test takes about one second per notice. */
const NOTICES = 6;

let telegram: FakeTelegram;
let server: TestServer | undefined;

beforeEach(async () => {
  telegram = await startFakeTelegram();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await telegram.close();
});

/** What an admin writes in the admins' group, as Telegram delivers it. */
function adminSaysInGroup(text: string): number {
  return telegram.pushUpdate({
    message: {
      message_id: 90_000 + Math.floor(Math.random() * 1000),
      from: { ...boss, is_bot: false, language_code: "es" },
      chat: { id: ADMIN_CHAT, type: "supergroup", title: "Asesores" },
      date: Math.floor(Date.now() / 1000),
      text,
      entities: [{ type: "bot_command", offset: 0, length: text.split(/\s/)[0]!.length }],
    },
  });
}

describe("replies first", () => {
  it("an admin's /campanas in the admins' group is answered before the notices already queued there", async () => {
    server = await startTestServer({
      seedSamples: true,
      env: { ...telegramEnv(telegram), TELEGRAM_MAX_PER_SECOND: "30", TELEGRAM_ADMIN_CHAT_ID: String(ADMIN_CHAT), TELEGRAM_ADMIN_IDS: String(boss.id) },
    });
    const prospecta = server.prospecta;
    expect(await prospecta.startBot()).toBe("polling");
    // Polling before anything is queued, so the admin's message is handled as soon as it is written.
    await vi.waitFor(() => expect(telegram.calls.some((c) => c.method === "getUpdates")).toBe(true), { timeout: 5000 });

    // Leads handed to a person from their calls: each one is a notice to the admins' group, sent outside any chat's update.
    const leadIds: number[] = [];
    for (let i = 1; i <= NOTICES; i++) {
      const created = await server.api("POST", "/leads", { name: `Cliente ${i}` });
      expect(created.status).toBe(201);
      leadIds.push(created.body.id as number);
    }
    const notices = leadIds.map((id) => prospecta.chat.handOffFromCall(id));
    await vi.waitFor(() => expect(telegram.delivered(ADMIN_CHAT).length).toBeGreaterThanOrEqual(1), { timeout: 5000 });

    const deliveredBefore = telegram.delivered(ADMIN_CHAT).length;
    expect(deliveredBefore).toBeLessThan(NOTICES - 2);
    adminSaysInGroup("/campanas");
    const isNotice = (text: string) => text.startsWith("📞");
    await vi.waitFor(() => expect(telegram.delivered(ADMIN_CHAT).some((m) => !isNotice(m.text))).toBe(true), { timeout: 10_000 });
    expect(await Promise.all(notices)).toEqual(leadIds.map(() => ({ already: false })));

    const texts = telegram.delivered(ADMIN_CHAT).map((m) => m.text);
    expect(texts).toHaveLength(NOTICES + 1);
    const reply = texts.findIndex((text) => !isNotice(text));
    expect(texts[reply]).toMatch(/^#\d+ .+ · (borrador|activa|pausada|archivada) · /);
    // Next in line: after the notices already out, and at most the one that was on its way
    // (or the one a second boundary let go while the bot read its update), not after all of them.
    expect(reply).toBeLessThanOrEqual(deliveredBefore + 2);
    expect(texts.slice(reply + 1).filter(isNotice).length).toBeGreaterThanOrEqual(NOTICES - deliveredBefore - 2);
  });
});
