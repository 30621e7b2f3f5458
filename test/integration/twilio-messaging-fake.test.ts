/**
 * The fake Twilio WhatsApp service, driven through the official twilio client as
 * the product drives it: what a lead receives, what Twilio refuses, what it
 * reports afterwards by signed status callback, and the signed webhooks it posts
 * when a lead writes.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTwilioClient, type TwilioClient } from "../../src/channels/twilio-client";
import { readBody } from "../fakes/http";
import { startFakeTwilioMessaging, type FakeTwilioMessaging } from "../fakes/twilio-messaging";

const PUBLIC_BASE = "https://prospecta.example";
const STATUS_URL = `${PUBLIC_BASE}/whatsapp/status`;
const INBOUND_URL = `${PUBLIC_BASE}/whatsapp/inbound`;
const DAY_MS = 24 * 60 * 60 * 1000;
const TEMPLATE_SID = "HX0123456789abcdef0123456789abcdef";

interface Received {
  path: string;
  url: string;
  signature: string | undefined;
  idempotencyToken: string | undefined;
  params: Record<string, string>;
  valid: boolean;
}

/** Our side of the webhooks: records each request and, like the product, answers 403 to a bad signature. */
async function startWebhookReceiver(authToken: string) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    // node:http does not wait for a handler: a body that cannot be read drops the connection.
    readBody(req).then(
      (body) => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const path = req.url ?? "/";
        const url = `${PUBLIC_BASE}${path}`;
        const signature = req.headers["x-twilio-signature"] as string | undefined;
        const valid = signature !== undefined && twilio.validateRequest(authToken, signature, url, params);
        received.push({ path, url, signature, idempotencyToken: req.headers["i-twilio-idempotency-token"] as string | undefined, params, valid });
        res.writeHead(valid ? 200 : 403, { "content-type": "text/xml" });
        res.end(valid ? "<Response/>" : "Invalid signature");
      },
      (error: Error) => res.destroy(error),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    statusesOf: (sid: string) => received.filter((r) => r.params.MessageSid === sid && r.path === "/whatsapp/status"),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let fake: FakeTwilioMessaging;
let client: TwilioClient;
let nextLead = 1;
/** A fresh lead number for each case, so cases never share a 24-hour window. */
const newLead = () => `+5215510000${String(nextLead++).padStart(3, "0")}`;

beforeAll(async () => {
  receiver = await startWebhookReceiver("fake-twilio-auth-token");
  fake = await startFakeTwilioMessaging({ routeWebhook: (url) => url.replace(PUBLIC_BASE, receiver.baseUrl) });
  client = createTwilioClient(fake.accountSid, fake.authToken, fake.apiBase);
  fake.registerTemplate(TEMPLATE_SID, { body: "Hola {{1}}, ¿seguimos con tu búsqueda en {{2}}?", variables: { 1: "cliente", 2: "CDMX" } });
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});

const send = (to: string, fields: { body?: string; contentSid?: string; contentVariables?: string; messagingServiceSid?: string }) =>
  client.messages.create({ from: fake.sender, to: `whatsapp:${to}`, statusCallback: STATUS_URL, ...fields });

async function statuses(sid: string) {
  await fake.statusCallbacksIdle();
  return receiver.statusesOf(sid).map((r) => r.params.MessageStatus);
}

describe("sending inside the 24-hour window", () => {
  it("a free-form reply is queued, then sent, delivered and read, each a separate signed callback", async () => {
    const lead = newLead();
    await fake.inbound({ url: INBOUND_URL }).userSays(lead, "Hola, vi el depa de la Roma");
    const message = await send(lead, { body: "¡Hola! Con gusto te cuento." });

    expect(message).toMatchObject({ status: "queued", direction: "outbound-api", apiVersion: "2010-04-01", errorCode: null, numSegments: "1", numMedia: "0" });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(await statuses(message.sid)).toEqual(["sent", "delivered", "read"]);
    for (const callback of receiver.statusesOf(message.sid)) {
      expect(callback.valid).toBe(true);
      expect(callback.params).toMatchObject({ SmsSid: message.sid, ChannelPrefix: "whatsapp", From: fake.sender, To: `whatsapp:${lead}`, AccountSid: fake.accountSid });
    }
    expect(fake.messagesTo(lead).map((m) => [m.text, m.status])).toEqual([["¡Hola! Con gusto te cuento.", "read"]]);
  });

  it("through a Messaging Service the message starts accepted and the callbacks begin at queued", async () => {
    const lead = newLead();
    fake.userWroteAt(lead);
    const message = await client.messages.create({ to: `whatsapp:${lead}`, messagingServiceSid: fake.messagingServiceSid, body: "Hola", statusCallback: STATUS_URL });
    expect(message.status).toBe("accepted");
    expect(await statuses(message.sid)).toEqual(["queued", "sent", "delivered", "read"]);
  });
});

describe("sending outside the 24-hour window", () => {
  it("a free-form message is accepted, then fails with 63016 by callback", async () => {
    const lead = newLead();
    const message = await send(lead, { body: "¿Sigues interesado?" });
    expect(message.status).toBe("queued");
    expect(await statuses(message.sid)).toEqual(["failed"]);
    expect(receiver.statusesOf(message.sid)[0]!.params).toMatchObject({ ErrorCode: "63016", MessageStatus: "failed" });
    expect((await client.messages(message.sid).fetch()).errorCode).toBe(63016);
  });

  it("the window closes 24 hours after the lead's last message, by the fake's clock", async () => {
    const lead = newLead();
    fake.userWroteAt(lead);
    fake.advanceClock(DAY_MS + 1);
    const message = await send(lead, { body: "¿Sigues interesado?" });
    expect(await statuses(message.sid)).toEqual(["failed"]);
  });

  it("an approved template is delivered, with the given variables and the samples for the rest", async () => {
    const lead = newLead();
    const message = await send(lead, { contentSid: TEMPLATE_SID, contentVariables: JSON.stringify({ 1: "Ana" }) });
    expect(message.body).toBe("Hola Ana, ¿seguimos con tu búsqueda en CDMX?");
    expect(await statuses(message.sid)).toEqual(["sent", "delivered", "read"]);
    expect(fake.messagesTo(lead)[0]).toMatchObject({ contentSid: TEMPLATE_SID, contentVariables: { 1: "Ana", 2: "CDMX" } });
  });

  it("a list-picker made with the Content API cannot open a conversation: 63016", async () => {
    const lead = newLead();
    const picker = await client.content.v1.contents.create({
      friendly_name: "zonas",
      language: "es",
      types: { "twilio/list-picker": { body: "¿Qué zona te interesa?", button: "Ver zonas", items: [{ id: "roma", item: "Roma", description: "Roma Norte y Sur" }] } },
    } as never);
    const message = await send(lead, { contentSid: picker.sid });
    expect(await statuses(message.sid)).toEqual(["failed"]);
  });
});

describe("the Content API", () => {
  it("creates a list-picker in the wire shape and fetches it back", async () => {
    const created = await client.content.v1.contents.create({
      friendly_name: "horarios",
      language: "es",
      variables: { 1: "martes" },
      types: { "twilio/list-picker": { body: "Horarios del {{1}}", button: "Elegir", items: [{ id: "10h", item: "10:00" }, { id: "12h", item: "12:00" }] } },
    } as never);
    expect(created.sid).toMatch(/^HX[0-9a-f]{32}$/);
    expect(created.dateCreated).toBeInstanceOf(Date);
    const fetched = await client.content.v1.contents(created.sid).fetch();
    expect(fetched).toMatchObject({ friendlyName: "horarios", language: "es", types: { "twilio/list-picker": { button: "Elegir" } } });
  });

  it("refuses the camelCase type names of twilio-node's TypeScript classes, which the real API does not know", async () => {
    const attempt = client.content.v1.contents.create({ language: "es", types: { twilioQuickReply: { body: "¿Agendamos?", actions: [{ title: "Sí" }] } } } as never);
    await expect(attempt).rejects.toMatchObject({ status: 400 });
  });
});

describe("what Twilio refuses at once", () => {
  it.each([
    ["a bad number", 21211, { to: "whatsapp:+12", body: "Hola" }],
    ["a bare number from a WhatsApp sender", 21910, { to: "+5215512345678", body: "Hola" }],
    ["another sender", 63007, { to: "whatsapp:+5215512345678", from: "whatsapp:+15550001111", body: "Hola" }],
    ["no body nor content", 21619, { to: "whatsapp:+5215512345678" }],
    ["an unknown template", 21655, { to: "whatsapp:+5215512345678", contentSid: "HXffffffffffffffffffffffffffffffff" }],
    ["variables that are not JSON", 21656, { to: "whatsapp:+5215512345678", contentSid: TEMPLATE_SID, contentVariables: "{1: Ana}" }],
    ["variables without a template", 21654, { to: "whatsapp:+5215512345678", body: "Hola", contentVariables: "{}" }],
  ])("%s: a RestException with code %i", async (_, code, params) => {
    const before = fake.messages.length;
    const error = await client.messages.create({ from: fake.sender, ...params }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({ code, moreInfo: `https://www.twilio.com/docs/errors/${code}` });
    expect(fake.messages.length).toBe(before);
  });

  it("answers 401 (20003) to wrong credentials", async () => {
    const stranger = createTwilioClient(fake.accountSid, "not-the-token", fake.apiBase);
    await expect(stranger.messages.create({ from: fake.sender, to: "whatsapp:+5215512345678", body: "Hola" })).rejects.toMatchObject({ status: 401, code: 20003 });
  });
});

describe("scripted failures", () => {
  it("a 429 is not processed; the retry goes through", async () => {
    const lead = newLead();
    fake.userWroteAt(lead);
    fake.tooManyRequests(lead);
    await expect(send(lead, { body: "Hola" })).rejects.toMatchObject({ status: 429, code: 20429 });
    expect(fake.messagesTo(lead)).toHaveLength(0);
    expect((await send(lead, { body: "Hola" })).status).toBe("queued");
    expect(fake.messagesTo(lead)).toHaveLength(1);
  });

  it("a 5xx is not processed either", async () => {
    const lead = newLead();
    fake.serverErrors(lead, 1, 503);
    await expect(send(lead, { body: "Hola" })).rejects.toMatchObject({ status: 503 });
    expect(fake.messagesTo(lead)).toHaveLength(0);
  });

  it("record-then-cut: the client sees a network error, yet the lead got the message", async () => {
    const lead = newLead();
    fake.userWroteAt(lead);
    fake.recordThenCut(lead);
    const error = await send(lead, { body: "Te confirmo la cita" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ECONNRESET" });
    expect(fake.messagesTo(lead)).toMatchObject([{ text: "Te confirmo la cita", answerCut: true }]);
    expect(await statuses(fake.messagesTo(lead)[0]!.sid)).toEqual(["sent", "delivered", "read"]);
  });

  it("refused connections send nothing; the same port answers again afterwards", async () => {
    const lead = newLead();
    await fake.refuseConnections();
    const error = await send(lead, { body: "Hola" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ECONNREFUSED" });
    expect(fake.messagesTo(lead)).toHaveLength(0);
    await fake.acceptConnections();
    expect((await send(lead, { body: "Hola" })).status).toBe("queued");
  });

  it("an unreachable number is sent, then reported undelivered with 63024", async () => {
    const lead = newLead();
    fake.userWroteAt(lead);
    fake.unreachable(lead, 63024);
    const message = await send(lead, { body: "Hola" });
    expect(await statuses(message.sid)).toEqual(["sent", "undelivered"]);
    expect(receiver.statusesOf(message.sid)[1]!.params.ErrorCode).toBe("63024");
  });

  it("held callbacks can arrive out of order and twice, the duplicate with the same idempotency token", async () => {
    const lead = newLead();
    fake.userWroteAt(lead);
    fake.holdStatusCallbacks();
    const message = await send(lead, { body: "Hola" });
    await fake.statusCallbacksIdle();
    expect(receiver.statusesOf(message.sid)).toHaveLength(0);
    await fake.releaseStatusCallbacks(([sent, delivered, read]) => [read!, sent!, delivered!, delivered!]);
    const arrived = receiver.statusesOf(message.sid);
    expect(arrived.map((r) => r.params.MessageStatus)).toEqual(["read", "sent", "delivered", "delivered"]);
    expect(arrived[2]!.idempotencyToken).toBe(arrived[3]!.idempotencyToken);
  });
});

describe("inbound webhooks", () => {
  const inbound = () => fake.inbound({ url: INBOUND_URL });

  it("a text is posted signed over the configured URL and every field, and opens the lead's window", async () => {
    const lead = newLead();
    expect(fake.isWindowOpen(lead)).toBe(false);
    const posted = await inbound().userSays(lead, "Busco depa de 2 recámaras", { ProfileName: "Ana López" });
    expect(posted.status).toBe(200);
    expect(twilio.validateRequest(fake.authToken, posted.signature!, INBOUND_URL, posted.params)).toBe(true);
    expect(posted.params).toMatchObject({
      From: `whatsapp:${lead}`,
      To: fake.sender,
      Body: "Busco depa de 2 recámaras",
      ProfileName: "Ana López",
      WaId: lead.slice(1),
      SmsStatus: "received",
      NumMedia: "0",
      ApiVersion: "2010-04-01",
      AccountSid: fake.accountSid,
    });
    expect(posted.params.MessageSid).toBe(posted.params.SmsMessageSid);
    expect(fake.isWindowOpen(lead)).toBe(true);
  });

  it("media, location, button and list choices and ad referrals carry Twilio's fields", async () => {
    const lead = newLead();
    const voice = await inbound().userSendsMedia(lead, "voice-note");
    expect(voice.params).toMatchObject({ NumMedia: "1", MediaContentType0: "audio/ogg", MessageType: "audio", Body: "" });
    expect(voice.params.MessageSid).toMatch(/^MM[0-9a-f]{32}$/);
    expect(voice.params.MediaUrl0).toContain(`/Messages/${voice.params.MessageSid}/Media/ME`);
    const place = await inbound().userSharesLocation(lead, { latitude: 19.4204, longitude: -99.1631, label: "Roma Norte" });
    expect(place.params).toMatchObject({ Latitude: "19.4204", Longitude: "-99.1631", Label: "Roma Norte", MessageType: "location" });
    const button = await inbound().userPicks(lead, { kind: "quick-reply", payload: "agendar", text: "Sí, agendar" });
    expect(button.params).toMatchObject({ ButtonPayload: "agendar", ButtonText: "Sí, agendar", Body: "Sí, agendar" });
    const listed = await inbound().userPicks(lead, { kind: "list", id: "roma", title: "Roma" });
    expect(listed.params).toMatchObject({ ListId: "roma", ListTitle: "Roma", Body: "Roma" });
    const ad = await inbound().userFromAd(lead, "Hola, me interesa", { Headline: "Depas en la Roma" });
    expect(ad.params).toMatchObject({ ReferralHeadline: "Depas en la Roma", ReferralSourceType: "ad", ReferralNumMedia: "1" });
    expect(ad.params.ReferralCtwaClid).toBeTruthy();
    for (const posted of [voice, place, button, listed, ad]) expect(posted.status).toBe(200);
  });

  it("a forged or unsigned webhook is answered 403", async () => {
    const fields = inbound().textFields(newLead(), "hola");
    expect((await inbound().deliver(fields, { signature: "Zm9yZ2Vk" })).status).toBe(403);
    expect((await inbound().deliver(fields, { signature: null })).status).toBe(403);
  });
});
