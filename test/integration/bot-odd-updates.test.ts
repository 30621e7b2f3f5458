/** Whatever Telegram sends — edits, stickers, photos, voice notes, huge texts, emoji, junk — the bot answers sensibly or not at all, and never falls over. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startTestServer, telegramEnv, type TestServer } from "./test-server";

let telegram: FakeTelegram;
let server: TestServer;
const user = { id: 515_001, first_name: "Pepe" };
const base = () => ({ message_id: Math.floor(Math.random() * 1e6), from: { ...user, is_bot: false }, chat: { id: user.id, type: "private", first_name: "Pepe" }, date: 1_768_500_000 });

beforeAll(async () => {
  telegram = await startFakeTelegram();
  server = await startTestServer({ env: telegramEnv(telegram) });
  await server.prospecta.startBot();
});
afterAll(async () => {
  await server.close();
  await telegram.close();
});

describe("odd Telegram updates", () => {
  it("survives every kind of update and still answers a normal message afterwards", async () => {
    telegram.pushUpdate({ edited_message: { ...base(), text: "edité esto", edit_date: 1_768_500_100 } });
    telegram.pushUpdate({ message: { ...base(), sticker: { file_id: "s1", file_unique_id: "u1", type: "regular", width: 512, height: 512, is_animated: false, is_video: false } } });
    telegram.pushUpdate({ message: { ...base(), photo: [{ file_id: "p1", file_unique_id: "u2", width: 90, height: 90 }], caption: "¿Así está la casa?" } });
    telegram.pushUpdate({ message: { ...base(), voice: { file_id: "v1", file_unique_id: "u3", duration: 3, mime_type: "audio/ogg" } } });
    telegram.pushUpdate({ message: { ...base(), text: "🏠🏡🏘️ 😍😍 Ñ".repeat(10) } });
    telegram.pushUpdate({ message: { ...base(), text: `busco casa ${"muy ".repeat(1000)}grande`.slice(0, 4096) } });
    telegram.pushUpdate({ message: { ...base(), chat: { id: -100_5, type: "group", title: "Grupo" }, text: "hola grupo" } });
    telegram.pushUpdate({ my_chat_member: { chat: { id: user.id, type: "private" }, from: { ...user, is_bot: false }, date: 1, old_chat_member: { status: "member", user: { id: 1, is_bot: true, first_name: "b" } }, new_chat_member: { status: "kicked", user: { id: 1, is_bot: true, first_name: "b" }, until_date: 0 } } });
    telegram.pushUpdate({ callback_query: { id: "cb1", from: { ...user, is_bot: false }, chat_instance: "x", data: "book:not-a-number" } });
    telegram.pushUpdate({ callback_query: { id: "cb2", from: { ...user, is_bot: false }, chat_instance: "x", data: "book:1" } });
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Sticker, photo and voice note get a plain answer; the group message gets nothing.
    expect(telegram.delivered(user.id).filter((m) => /solo puedo leer mensajes de texto/.test(m.text))).toHaveLength(3);
    expect(telegram.delivered(-100_5)).toEqual([]);
    const before = telegram.delivered(user.id).length;
    telegram.userSays(user, "Busco un depa en Polanco");
    await telegram.waitForDelivered(telegram.delivered().length + 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(telegram.delivered(user.id).length).toBeGreaterThan(before);
    expect(telegram.delivered(user.id).at(-1)!.text).toMatch(/presupuesto/);
    const stored = await server.sql("SELECT text FROM messages WHERE direction = 'inbound' AND text LIKE 'busco casa muy%'");
    expect(stored[0].text.length).toBeLessThanOrEqual(4096);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });
});
