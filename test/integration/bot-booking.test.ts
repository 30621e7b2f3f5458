/** From /start to a booked Google Meet, through the real bot, the fake Telegram and a fake Google Calendar. */
import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from "../fakes/google-calendar";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { googleOAuthEnv, startTestServer, type TestServer, telegramEnv } from "./test-server";

const dani = { id: 990_001, first_name: "Daniela", last_name: "Ruiz" };
const CALENDAR = "ventas@inmobiliaria.example";
let telegram: FakeTelegram;
let google: FakeGoogleCalendar | null = null;
let server: TestServer;

afterEach(async () => {
  await server.close();
  await telegram.close();
  await google?.close();
  google = null;
});


async function start(env: Record<string, string>) {
  telegram = await startFakeTelegram();
  server = await startTestServer({
    env: { ...telegramEnv(telegram), ...env },
  });
  await server.prospecta.startBot();
}

/** The lead writes (or presses); resolves once the bot sent `expected` more messages to it. */
async function act(action: () => void, expected = 1) {
  const before = telegram.delivered(dani.id).length;
  action();
  await telegram.waitForDelivered(telegram.delivered().length + expected, 8000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  return telegram.delivered(dani.id).slice(before);
}
const lead = async () => (await server.sql("SELECT * FROM leads WHERE telegram_chat_id = ?", dani.id))[0];

async function qualify() {
  await act(() => telegram.userSays(dani, "/start"));
  await act(() => telegram.userSays(dani, "Busco un depa en la Roma o la Condesa"));
  await act(() => telegram.userSays(dani, "unos 3.5 millones"), 2); // the reply and the phone request
  // Approved: the reply, then the slots.
  const [reply, slots] = await act(() => telegram.userSays(dani, "pagaría de contado"), 2);
  expect(reply!.text).toMatch(/cita con un asesor/);
  expect(await lead()).toMatchObject({ pipeline_stage: "calificacion_financiera", financially_approved: 1 });
  return slots!;
}

function buttons(message: { reply_markup?: unknown }) {
  return (message.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard.flat();
}

describe("booking in chat", () => {
  it("offers three free Google Calendar slots and books a Google Meet (OAuth refresh token)", async () => {
    const oauth = { clientId: "client-1", clientSecret: "secret-1", refreshToken: "refresh-1" };
    google = await startFakeGoogleCalendar({ calendarId: CALENDAR, oauth });
    // Thursday 2026-01-15, 12:00–13:00 local is taken.
    google.busy.push({ start: "2026-01-15T18:00:00Z", end: "2026-01-15T19:00:00Z" });
    await start(googleOAuthEnv(google, CALENDAR, oauth));
    const slots = await qualify();
    const options = buttons(slots);
    expect(options.map((b) => b.text)).toEqual(["jueves 15 de enero, 13:00", "viernes 16 de enero, 09:00", "sábado 17 de enero, 09:00"]);

    const [confirmation] = await act(() => telegram.userPresses(dani, options[1]!.callback_data, slots.message_id));
    expect(confirmation!.text).toMatch(/^¡Listo! Tu cita con un asesor quedó para el viernes 16 de enero, 09:00\. Enlace de Google Meet: https:\/\/meet\.google\.com\//);
    expect(google.events).toEqual([expect.objectContaining({ start: "2026-01-16T15:00:00.000Z", requestId: expect.stringMatching(/^prospecta-/) })]);
    expect(google.requests.every((r) => r.auth === "oauth")).toBe(true);
    expect((await lead()).pipeline_stage).toBe("agendado");
    const [appointment] = await server.sql("SELECT * FROM appointments WHERE lead_id = ?", (await lead()).id);
    expect(appointment).toMatchObject({ status: "scheduled", calendar_provider: "google", meet_link: google.events[0]!.meetLink });
    expect(telegram.answeredCallbacks).toHaveLength(1);

    // Reminders 24 h and 1 h before, once each; after the meeting, seguimiento.
    const booking = server.prospecta.booking;
    server.clock.set("2026-01-15T15:30:00Z");
    expect(await booking.runDueReminders()).toEqual({ reminders: 1, followed_up: 0 });
    expect(await booking.runDueReminders()).toEqual({ reminders: 0, followed_up: 0 });
    expect(telegram.delivered(dani.id).at(-1)!.text).toMatch(/te recuerdo tu cita de mañana, viernes 16 de enero, 09:00\. Enlace: https:\/\/meet/);
    server.clock.set("2026-01-16T14:10:00Z");
    expect(await booking.runDueReminders()).toEqual({ reminders: 1, followed_up: 0 });
    expect(telegram.delivered(dani.id).at(-1)!.text).toMatch(/empieza en una hora/);
    server.clock.set("2026-01-16T16:00:00Z");
    expect(await booking.runDueReminders()).toEqual({ reminders: 0, followed_up: 1 });
    expect((await lead()).pipeline_stage).toBe("seguimiento");
  });

  it("a Google outage gets a plain answer, books nothing, and booking works again once it is back", async () => {
    const oauth = { clientId: "client-2", clientSecret: "secret-2", refreshToken: "refresh-2" };
    google = await startFakeGoogleCalendar({ calendarId: CALENDAR, oauth });
    await start(googleOAuthEnv(google, CALENDAR, oauth));
    const slots = await qualify();
    google.down = true;
    const before = telegram.answeredCallbacks.length;
    telegram.userPresses(dani, buttons(slots)[0]!.callback_data, slots.message_id);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(telegram.answeredCallbacks.length).toBe(before + 1);
    expect((await server.sql("SELECT COUNT(*) AS n FROM appointments"))[0].n).toBe(0);
    expect((await lead()).pipeline_stage).toBe("calificacion_financiera");
    const [answer] = await act(() => telegram.userSays(dani, "¿me das otros horarios?"), 2).then((m) => m.slice(1));
    expect(answer!.text).toMatch(/No pude consultar la agenda/);

    google.down = false;
    const [, offer] = await act(() => telegram.userSays(dani, "horarios"), 2);
    const [confirmation] = await act(() => telegram.userPresses(dani, buttons(offer!)[0]!.callback_data, offer!.message_id));
    expect(confirmation!.text).toMatch(/meet\.google\.com/);
    expect((await lead()).pipeline_stage).toBe("agendado");
  });

  it("authenticates a service account with a self-signed JWT", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const clientEmail = "prospecta@agencia.iam.gserviceaccount.com";
    google = await startFakeGoogleCalendar({
      calendarId: CALENDAR,
      serviceAccount: { clientEmail, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() },
    });
    await start({
      GOOGLE_CALENDAR_ID: CALENDAR,
      GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ type: "service_account", client_email: clientEmail, private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() }),
      GOOGLE_API_ROOT: google.rootUrl,
    });
    const slots = await qualify();
    const [confirmation] = await act(() => telegram.userPresses(dani, buttons(slots)[0]!.callback_data, slots.message_id));
    expect(confirmation!.text).toMatch(/meet\.google\.com/);
    expect(google.requests.length).toBeGreaterThan(0);
    expect(google.requests.every((r) => r.auth === "jwt")).toBe(true);
  });

  it("without Google credentials books on the local calendar and says there is no Meet link", async () => {
    await start({});
    const slots = await qualify();
    const [confirmation] = await act(() => telegram.userPresses(dani, buttons(slots)[0]!.callback_data, slots.message_id));
    expect(confirmation!.text).toMatch(/no tiene enlace de Google Meet/);
    expect((await lead()).pipeline_stage).toBe("agendado");
    // The slot is now taken on the local calendar.
    const offered = await server.prospecta.booking.offerSlots((await lead()).id);
    expect(offered.map((s) => s.start.getTime())).not.toContain(Number(buttons(slots)[0]!.callback_data.split(":")[1]) * 60_000);
  });
});
