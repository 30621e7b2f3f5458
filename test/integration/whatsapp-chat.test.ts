/**
 * A lead on WhatsApp, through the fake Twilio Messaging API and signed
 * webhooks: the same agents, qualification and booking as on Telegram; one
 * person is one lead across channels; opt-out; delivery reports; hostile bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTwilioMessaging } from "../fakes/twilio-messaging";
import { TEST_TOKEN, whatsappEnv, startTestServer, TEST_WEBHOOK_BASE, type TestServer } from "./test-server";

type FakeMessaging = Awaited<ReturnType<typeof startFakeTwilioMessaging>>;
const REMINDER_TEMPLATE = "HXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
let fake: FakeMessaging;
let server: TestServer;

beforeAll(async () => {
  fake = await startFakeTwilioMessaging({ sender: "+5215550001111", routeWebhook: (url) => url.replace(TEST_WEBHOOK_BASE, server.baseUrl) });
  server = await startTestServer({
    env: {
      ...whatsappEnv(fake),
      WHATSAPP_REMINDER_CONTENT_SID: REMINDER_TEMPLATE,
    },
  });
  fake.registerTemplate(REMINDER_TEMPLATE, { body: "Hola {{1}}, te recordamos tu cita: {{2}}. {{3}}", variables: { 1: "cliente", 2: "pronto", 3: "-" } });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

const inbound = () => fake.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming` });
const settled = async () => {
  await server.prospecta.whatsapp!.idle();
  await fake.statusCallbacksIdle();
};
/** What the lead received on WhatsApp, as text. */
const received = (number: string) => fake.messagesTo(number).map((m) => m.text);
const leadByWhatsapp = async (digits: string) => (await server.sql("SELECT * FROM leads WHERE whatsapp_id = ?", digits))[0];

describe("a lead on WhatsApp", () => {
  it("comes from a click-to-WhatsApp ad, qualifies with the agents and books a slot by answering its number", async () => {
    const number = "+5213310000001";
    expect((await inbound().userFromAd(number, "Hola, me interesa el depa del anuncio")).status).toBe(200);
    await settled();
    const lead = await leadByWhatsapp("5213310000001");
    expect(lead).toMatchObject({ name: "Cliente WhatsApp", phone: number, source: "whatsapp_anuncio", pipeline_stage: "perfilamiento" });
    expect(JSON.parse(lead.source_detail)).toMatchObject({ ad_id: "120210000000000001", ad_headline: "Tu depa en la Roma" });
    expect(received(number)).toHaveLength(1);

    await inbound().userSays(number, "Busco casa en Zapopan de unos 4 millones");
    await settled();
    await inbound().userSays(number, "Lo pagaría de contado");
    await settled();
    // The slots come as a WhatsApp list whose text also numbers them.
    const offer = fake.messagesTo(number).at(-1)!;
    expect(offer.contentSid).toMatch(/^HX/);
    expect(offer.text).toMatch(/horarios disponibles[\s\S]*1\. [\s\S]*2\. [\s\S]*responde con el número/);
    expect(await leadByWhatsapp("5213310000001")).toMatchObject({ pipeline_stage: "calificacion_financiera", financially_approved: 1 });

    await inbound().userSays(number, "el 2");
    await settled();
    expect((await server.sql("SELECT COUNT(*) AS n FROM appointments WHERE lead_id = ?", lead.id))[0].n).toBe(1);
    expect(await leadByWhatsapp("5213310000001")).toMatchObject({ pipeline_stage: "agendado", pending_choices: null });
    const history = await server.sql("SELECT direction, channel FROM messages WHERE lead_id = ? ORDER BY id", lead.id);
    expect(history.every((m: { channel: string }) => m.channel === "whatsapp")).toBe(true);
    // Every reply carries Twilio's id, and its delivery report was stored.
    const outbound = await server.sql("SELECT external_id, status FROM messages WHERE lead_id = ? AND direction = 'outbound'", lead.id);
    expect(outbound.every((m: { external_id: string | null }) => m.external_id?.startsWith("SM"))).toBe(true);
    expect(outbound.every((m: { status: string }) => m.status === "read")).toBe(true);
  });

  it("books the slot the lead taps in the list", async () => {
    const number = "+5213310000012";
    for (const text of ["Hola", "Busco departamento en Polanco de 6 millones", "Lo pagaría de contado"]) {
      await inbound().userSays(number, text);
      await settled();
    }
    const offer = fake.messagesTo(number).at(-1)!;
    const firstSlot = offer.contentVariables!["2"]!;
    expect(firstSlot).toMatch(/^book:\d+$/);
    await inbound().userPicks(number, { kind: "list", id: firstSlot, title: "Opción 1" });
    await settled();
    const lead = await leadByWhatsapp("5213310000012");
    expect(lead.pipeline_stage).toBe("agendado");
    expect(await server.sql("SELECT starts_at FROM appointments WHERE lead_id = ?", lead.id)).toEqual([{ starts_at: Number(firstSlot.slice(5)) * 60_000 }]);
  });

  it("reminds the appointment on WhatsApp: as text inside the window, as the approved template outside it", async () => {
    const book = async (number: string, pick: string) => {
      for (const text of ["Hola", "Busco casa en Zapopan de unos 4 millones", "Lo pagaría de contado", pick]) {
        await inbound().userSays(number, text);
        await settled();
      }
      const lead = await leadByWhatsapp(number.slice(1));
      return { lead, startsAt: (await server.sql("SELECT starts_at FROM appointments WHERE lead_id = ?", lead.id))[0].starts_at as number };
    };
    const start = server.clock.now();
    try {
      // The third slot is days away: its reminders fall outside the window the booking opened.
      const far = await book("+5213310000010", "3");
      server.clock.set(new Date(far.startsAt - 59 * 60_000));
      await server.prospecta.booking.runDueReminders();
      await fake.statusCallbacksIdle();
      const templated = fake.messagesTo("+5213310000010").filter((m) => m.contentSid === REMINDER_TEMPLATE);
      expect(templated).toHaveLength(2);
      expect(templated[0]!.contentVariables).toMatchObject({ 1: "Cliente" });

      // A lead who wrote two hours before gets the reminder as text.
      server.clock.set(start);
      const near = await book("+5213310000011", "1");
      server.clock.set(new Date(near.startsAt - 2 * 3_600_000));
      await inbound().userSays("+5213310000011", "Gracias, ahí estaré");
      await settled();
      server.clock.set(new Date(near.startsAt - 59 * 60_000));
      const sentBefore = fake.messagesTo("+5213310000011").length;
      await server.prospecta.booking.runDueReminders();
      const reminders = fake.messagesTo("+5213310000011").slice(sentBefore);
      expect(reminders.map((m) => m.contentSid)).toEqual([null, null]);
      expect(reminders.at(-1)!.text).toMatch(/Tu cita empieza en una hora/);
    } finally {
      server.clock.set(start);
    }
  });

  it("is the same lead the agency already had by phone: one lead, one history across channels", async () => {
    const known = (await server.api("POST", "/leads", { name: "Rosa Méndez", phone: "+5213310000002", telegram_chat_id: 880_002 })).body;
    expect(known.channels).toEqual(["telegram", "phone"]);
    await inbound().userSays("+5213310000002", "Hola, soy Rosa, les escribo por aquí");
    await settled();
    expect((await server.sql("SELECT COUNT(*) AS n FROM leads WHERE phone = ?", "+5213310000002"))[0].n).toBe(1);
    const lead = (await server.api("GET", `/leads/${known.id}`)).body;
    expect(lead).toMatchObject({ whatsapp_id: "5213310000002", telegram_chat_id: 880_002, name: "Rosa Méndez", channels: ["telegram", "whatsapp", "phone"] });
    const listed = (await server.api("GET", "/leads?q=Rosa")).body.items;
    expect(listed.map((l: { channels: string[] }) => l.channels)).toEqual([["telegram", "whatsapp", "phone"]]);
    expect((await server.sql("SELECT COUNT(*) AS n FROM messages WHERE lead_id = ? AND channel = 'whatsapp'", known.id))[0].n).toBe(2);
    expect(await server.sql("SELECT action FROM audit_logs WHERE entity_id = ? AND action = 'lead.channel_linked'", known.id)).toHaveLength(1);
  });

  it("opts out with BAJA and back in with ALTA", async () => {
    const number = "+5213310000003";
    await inbound().userSays(number, "BAJA");
    await settled();
    expect((await leadByWhatsapp("5213310000003")).opted_out).toBe(1);
    expect(received(number).at(-1)).toMatch(/ya no te enviaremos mensajes.*ALTA/);
    await inbound().userSays(number, "ALTA");
    await settled();
    expect((await leadByWhatsapp("5213310000003")).opted_out).toBe(0);
  });

  it("answers a voice note plainly, and a shared location fills the zone", async () => {
    const number = "+5213310000004";
    await inbound().userSendsMedia(number, "voice-note");
    await settled();
    expect(received(number).at(-1)).toMatch(/solo puedo leer mensajes de texto/);
    await inbound().userSharesLocation(number, { latitude: 20.67, longitude: -103.39, label: "Providencia, Guadalajara", address: "Av. Providencia 123" });
    await settled();
    expect((await leadByWhatsapp("5213310000004")).location).toBe("Providencia, Guadalajara");
  });

  it("handles a message Twilio delivers twice once", async () => {
    const number = "+5213310000005";
    const fields = inbound().textFields(number, "Busco departamento en Polanco");
    await inbound().deliver(fields);
    await inbound().deliver(fields);
    await settled();
    expect(received(number)).toHaveLength(1);
    expect((await server.sql("SELECT COUNT(*) AS n FROM messages WHERE external_id = ?", fields.MessageSid))[0].n).toBe(1);
  });

  it("a reply Twilio refuses for good marks the lead unreachable on WhatsApp, and nothing fails", async () => {
    const number = "+5213310000008";
    fake.rejectNumbers.add(number);
    await inbound().userSays(number, "Hola, busco casa");
    await settled();
    const lead = await leadByWhatsapp("5213310000008");
    expect(lead.whatsapp_unreachable_reason).toMatch(/21211/);
    expect(await server.sql("SELECT status FROM messages WHERE lead_id = ? AND direction = 'outbound'", lead.id)).toEqual([{ status: "failed" }]);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text();
    expect(metrics).not.toMatch(/prospecta_handler_failures_total\{surface="whatsapp_webhook"\}/);
  });

  it("keeps each delivery report moving forward only", async () => {
    const number = "+5213310000006";
    await inbound().userSays(number, "Hola");
    await settled();
    const [reply] = fake.messagesTo(number);
    await fake.postStatusCallback(reply!.sid, "sent");
    await fake.postStatusCallback(reply!.sid, "delivered");
    expect((await server.sql("SELECT status FROM messages WHERE external_id = ?", reply!.sid))[0].status).toBe("read");
  });

  it("refuses a forged or missing signature with 403, and never answers odd bodies with a 5xx", async () => {
    const before = (await server.sql("SELECT COUNT(*) AS n FROM messages"))[0].n;
    expect((await inbound().deliver(inbound().textFields("+5213310000007", "hola"), { signature: "Zm9yZ2Vk" })).status).toBe(403);
    expect((await inbound().deliver(inbound().textFields("+5213310000007", "hola"), { signature: null })).status).toBe(403);
    for (const odd of [{}, { From: "no es un número" }, { MessageSid: "x", From: "whatsapp:+1", To: "y", AccountSid: "AC1" }]) {
      const status = (await inbound().deliver(odd as Record<string, string>)).status;
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
    }
    await settled();
    expect((await server.sql("SELECT COUNT(*) AS n FROM messages"))[0].n).toBe(before);
  });
});
