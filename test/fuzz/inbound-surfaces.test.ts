/**
 * Fuzz: every inbound surface of the product (voice, Telegram, WhatsApp),
 * driven with input generated from its own zod schema (fast-check; malformed
 * values, non-JSON, binary frames, huge values, unknown kinds), against the
 * product running as its own process (`src/main.ts`, as `npm start` runs it)
 * while a simulated call streams.
 * For every case: the process lives, the live call's audio keeps flowing both
 * ways, and input the product refuses writes nothing.
 * Counts per surface and kind are printed at the end (for the closing note).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import twilio from "twilio";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { connectMediaStream, type MediaStreamsClient } from "../fakes/media-streams-client";
import { SILENCE_20MS, startFakeRealtime, type FakeRealtime } from "../fakes/openai-realtime";
import { startFakeTwilio, type FakeTwilio } from "../fakes/twilio-rest";
import { startFakeTwilioMessaging, type FakeTwilioMessaging } from "../fakes/twilio-messaging";
import { startProductProcess, type ProductProcess } from "../integration/product-process";
import { TEST_TOKEN, TEST_WEBHOOK_BASE, telegramWebhookEnv, voiceEnv } from "../integration/test-server";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { telegramUpdateSchema } from "../../bot/telegram-update-schema";
import { parseRealtimeEvent, realtimeServerEventSchema } from "../../voice/openai-realtime-protocol";
import { parseTwilioMessage, twilioInboundSchema } from "../../voice/twilio-protocol";
import { incomingCallSchema, statusCallbackSchema, twimlRequestSchema } from "../../voice/twilio-webhook-bodies";
import { parseVoiceToolCall } from "../../voice/voice-tools";
import { DEFAULT_STREAM_LIMITS } from "../../voice/stream-server";
import { leadFactsSchema } from "../../src/agents/lead-facts";
import { inboundMessageSchema, statusCallbackSchema as whatsappStatusSchema } from "../../whatsapp/twilio-messaging-bodies";
import { UNREACHABLE_CODES } from "../../whatsapp/whatsapp-sender";
import { formBodyCaseArbitrary, malformedArbitrary, rawFrameCaseArbitrary } from "./schema-arbitraries";

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);

let dir: string;
let twilioFake: FakeTwilio;
let messaging: FakeTwilioMessaging;
let twilioRouter: Server;
const WHATSAPP_SENDER = "+5215550001111";
let telegram: FakeTelegram;
const TELEGRAM_SECRET = "fuzz-webhook-secret";
let realtime: FakeRealtime;
let product: ProductProcess;
let db: Database.Database;
let live: { side: MediaStreamsClient; callId: number; callSid: string; leadId: number };
const counts = new Map<string, number>();
const count = (surface: string, label: string) => counts.set(`${surface} · ${label}`, (counts.get(`${surface} · ${label}`) ?? 0) + 1);

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${product.baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body !== undefined && { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as any;
};
const signedPost = (path: string, params: Record<string, string>) =>
  fetch(`${product.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilio.getExpectedTwilioSignature(twilioFake.authToken, `${TEST_WEBHOOK_BASE}${path}`, params) },
    body: new URLSearchParams(params).toString(),
  });

/** Row counts of every table refused input could touch. */
function snapshot(): Record<string, number> {
  const tables = ["leads", "voice_calls", "call_transcripts", "messages", "audit_logs", "lead_stage_history", "appointments"];
  return Object.fromEntries(tables.map((table) => [table, (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n]));
}
const leadRow = (id: number) => JSON.stringify(db.prepare("SELECT * FROM leads WHERE id = ?").get(id));
const streamClaims = () => db.prepare("SELECT id, stream_claimed_at FROM voice_calls ORDER BY id").all();

/** The live call still streams both ways: caller audio reaches the model, model audio reaches the caller. */
async function liveCallFlows(): Promise<void> {
  const appended = realtime.appendedAudio().length;
  const heard = live.side.received.filter((m) => m.event === "media").length;
  live.side.speak(2);
  realtime.emit({ type: "response.output_audio.delta", response_id: "resp_heartbeat", item_id: `item_heartbeat_${heard}`, output_index: 0, content_index: 0, delta: SILENCE_20MS });
  await vi.waitFor(() => {
    expect(realtime.appendedAudio().length).toBeGreaterThanOrEqual(appended + 2);
    expect(live.side.received.filter((m) => m.event === "media").length).toBeGreaterThan(heard);
  }, { interval: 2 });
}

/**
 * Voice and WhatsApp share TWILIO_API_BASE (one Twilio account), but each fake
 * serves one API: Messages go to the messaging fake, everything else to the calls fake.
 */
async function startTwilioRouter(): Promise<{ server: Server; apiBase: string }> {
  const server = createServer((req, res) => {
    const target = /\/Messages[/.]|^\/v1\/Content/.test(req.url ?? "") ? messaging.apiBase : twilioFake.apiBase;
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The snapshot once three readings 5 ms apart agree (at most 2 s): writes still landing have landed. */
async function settledSnapshot(): Promise<Record<string, number>> {
  const deadline = performance.now() + 2000;
  let last = JSON.stringify(snapshot());
  for (let quiet = 0; quiet < 3 && performance.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = JSON.stringify(snapshot());
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
  return JSON.parse(last) as Record<string, number>;
}

/**
 * An inbound WhatsApp message is handled after the webhook answered: waits (at most 3 s) until each one
 * was recorded and the database and the fake stopped changing, so a later snapshot sees none of its writes.
 */
async function whatsappSettled(sids: string[]): Promise<void> {
  const deadline = performance.now() + 3000;
  const sleep = () => new Promise((resolve) => setTimeout(resolve, 5));
  const recorded = db.prepare("SELECT COUNT(*) AS n FROM messages WHERE channel = 'whatsapp' AND external_id = ?");
  while (sids.some((sid) => (recorded.get(sid) as { n: number }).n === 0) && performance.now() < deadline) await sleep();
  let last = "";
  for (let quiet = 0; quiet < 3 && performance.now() < deadline; await sleep()) {
    const now = `${JSON.stringify(snapshot())} ${messaging.messages.length}`;
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

/**
 * What the WhatsApp webhooks refuse: a body its schema refuses, or one with a "__proto__" field, which
 * the form parser drops, so the signature (computed over every field Twilio posted) no longer matches: 403.
 */
function refusedWhatsApp(schema: z.ZodType, body: Record<string, string>): boolean {
  return !schema.safeParse(body).success || Object.hasOwn(body, "__proto__");
}

async function processLives(): Promise<void> {
  expect(product.child.exitCode).toBeNull();
  expect((await fetch(`${product.baseUrl}/healthz`)).status).toBe(200);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "prospecta-fuzz-"));
  twilioFake = await startFakeTwilio();
  messaging = await startFakeTwilioMessaging({
    accountSid: twilioFake.accountSid,
    authToken: twilioFake.authToken,
    sender: WHATSAPP_SENDER,
    routeWebhook: (url) => url.replace(TEST_WEBHOOK_BASE, product.baseUrl),
  });
  const router = await startTwilioRouter();
  twilioRouter = router.server;
  realtime = await startFakeRealtime();
  telegram = await startFakeTelegram();
  const file = join(dir, "fuzz.db");
  product = await startProductProcess({
    DATABASE_URL: file,
    ADMIN_API_TOKEN: TEST_TOKEN,
    ...voiceEnv(twilioFake, realtime),
    ...telegramWebhookEnv(telegram, TELEGRAM_SECRET),
    WHATSAPP_PROVIDER: "twilio",
    TWILIO_WHATSAPP_NUMBER: WHATSAPP_SENDER,
    TWILIO_API_BASE: router.apiBase,
  });
  db = new Database(file, { readonly: true });

  const lead = await api("POST", "/leads", { name: "Lucía Fuzz", phone: "+525590000001" });
  const call = await api("POST", "/calls/initiate", { lead_id: lead.id, agent_type: "perfilador", force: true }); // whatever the hour
  await signedPost(`/voice/status?call_id=${call.call_id}`, { CallSid: call.call_sid, CallStatus: "in-progress" });
  twilioFake.answer(call.call_sid);
  const side = await connectMediaStream(`${product.baseUrl.replace("http", "ws")}/voice/stream`, { twilio: twilioFake });
  side.start(call.call_id, "perfilador", call.call_sid);
  await vi.waitFor(() => expect(side.received.filter((m) => m.event === "media").length, product.output().slice(-3000)).toBe(realtime.greetingFrames));
  side.ackMarks();
  live = { side, callId: call.call_id, callSid: call.call_sid, leadId: lead.id };
}, 60_000);

afterAll(async () => {
  const lines = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `  ${key}: ${n}`);
  console.log(`fuzz cases (seed ${SEED}):\n${lines.join("\n")}`);
  db?.close();
  await product?.stop();
  await realtime?.close();
  await twilioFake?.close();
  await messaging?.close();
  twilioRouter?.close();
  await telegram?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("fuzzing every inbound surface while a call streams", () => {
  it("Media Streams: a new connection's first frames, generated from the schema, never reach a call", async () => {
    const url = `${product.baseUrl.replace("http", "ws")}/voice/stream`;
    const claims = JSON.stringify(streamClaims());
    const before = snapshot();
    await fc.assert(
      fc.asyncProperty(rawFrameCaseArbitrary(twilioInboundSchema), async ({ label, frame }) => {
        count("media stream, before start", label);
        const ws = new WebSocket(url);
        const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
        ws.on("error", () => undefined);
        await new Promise<void>((resolve) => ws.once("open", () => resolve()));
        ws.send(frame);
        // A frame that is a valid start for no call of ours, or anything else, is closed; a `connected` waits for start.
        const parsed = typeof frame === "string" ? parseTwilioMessage(frame) : null;
        if (parsed?.kind === "message" && parsed.message.event === "connected") ws.close();
        await closed;
      }),
      { seed: SEED, numRuns: 300 * RUNS, endOnFailure: true },
    );
    expect(JSON.stringify(streamClaims())).toBe(claims);
    expect(snapshot()).toEqual(before);
    await liveCallFlows();
    await processLives();
  });

  it("Media Streams: frames on the live call's own socket are parsed; bad ones are skipped and the call goes on", async () => {
    const before = snapshot();
    await fc.assert(
      fc.asyncProperty(rawFrameCaseArbitrary(twilioInboundSchema), async ({ label, frame }) => {
        const parsed = typeof frame === "string" ? parseTwilioMessage(frame) : null;
        // A valid `stop` ends the call on purpose, and a frame over the size limit closes the socket
        // by design (the limits suite checks both): neither is input a live call should survive.
        if (parsed?.kind === "message" && parsed.message.event === "stop") return;
        if (Buffer.byteLength(frame) > DEFAULT_STREAM_LIMITS.maxFrameBytes) return;
        count("media stream, live call", label);
        live.side.sendRaw(frame);
      }),
      { seed: SEED, numRuns: 600 * RUNS, endOnFailure: true },
    );
    expect(snapshot()).toEqual(before);
    await liveCallFlows();
    await processLives();
  });

  it("Realtime: server events generated from the schema are parsed; invalid ones are skipped and the call goes on", async () => {
    await fc.assert(
      fc.asyncProperty(rawFrameCaseArbitrary(realtimeServerEventSchema), async ({ label, frame }) => {
        const parsed = typeof frame === "string" ? parseRealtimeEvent(frame) : null;
        // A valid call of `colgar` ends the call on purpose.
        if (parsed?.kind === "message" && parsed.message.type === "response.function_call_arguments.done" && parsed.message.name === "colgar") return;
        count("realtime events", label);
        // The audio process hands a call's writes to the product asynchronously: what earlier events
        // wrote may still be landing, so the database is read once it stopped changing, before and after.
        const before = await settledSnapshot();
        realtime.emitRaw(frame);
        // The heartbeat's round trip comes after this frame on the same socket: once it is back, the frame was handled.
        await liveCallFlows();
        if (parsed?.kind !== "message") expect(await settledSnapshot()).toEqual(before);
      }),
      { seed: SEED, numRuns: 400 * RUNS, endOnFailure: true },
    );
    await liveCallFlows();
    await processLives();
  });

  it("voice tools: invalid arguments are answered with the problem and change nothing", async () => {
    const tools = [
      { name: "guardar_datos", schema: leadFactsSchema },
      { name: "agendar_cita", schema: z.object({ inicio: z.iso.datetime({ offset: true }) }) },
    ];
    for (const tool of tools) {
      await fc.assert(
        fc.asyncProperty(malformedArbitrary(tool.schema), async ({ label, value }) => {
          const args = JSON.stringify(value) ?? "";
          if (parseVoiceToolCall(tool.name, args).ok) return;
          count(`voice tool ${tool.name}`, label);
          const lead = leadRow(live.leadId);
          const callId = `call_fuzz_${counts.size}_${Math.random().toString(36).slice(2)}`;
          realtime.emit({ type: "response.function_call_arguments.done", response_id: "resp_fuzz", item_id: "item_fuzz", output_index: 0, call_id: callId, name: tool.name, arguments: args });
          await vi.waitFor(() => expect(realtime.received.some((e) => e.type === "conversation.item.create" && e.item.call_id === callId)).toBe(true), { interval: 2 });
          const output = realtime.received.find((e) => e.type === "conversation.item.create" && e.item.call_id === callId)!;
          expect(JSON.parse(output.item.output)).toMatchObject({ ok: false, error: expect.any(String) });
          expect(leadRow(live.leadId)).toBe(lead);
        }),
        { seed: SEED, numRuns: 100 * RUNS, endOnFailure: true },
      );
    }
    await liveCallFlows();
  });

  it("Twilio webhooks: signed bodies generated from each schema get an answer, never a 5xx; refused ones write nothing", async () => {
    const hooks = [
      { path: `/voice/status?call_id=${live.callId}`, schema: statusCallbackSchema },
      { path: "/voice/twiml?call_id=999999", schema: twimlRequestSchema },
      { path: "/voice/incoming", schema: incomingCallSchema },
    ];
    for (const hook of hooks) {
      await fc.assert(
        fc.asyncProperty(formBodyCaseArbitrary(hook.schema), async ({ label, body }) => {
          count(`webhook ${hook.path.split("?")[0]}`, label);
          const refused = !hook.schema.safeParse(body).success;
          const before = snapshot();
          const liveCall = JSON.stringify(db.prepare("SELECT status, provider_call_sid FROM voice_calls WHERE id = ?").get(live.callId));
          const response = await signedPost(hook.path, body);
          expect(response.status).toBeLessThan(500);
          if (refused) expect(snapshot()).toEqual(before);
          // No body, valid or not, may touch the live call except through its own CallSid.
          if (body.CallSid !== live.callSid) expect(JSON.stringify(db.prepare("SELECT status, provider_call_sid FROM voice_calls WHERE id = ?").get(live.callId))).toBe(liveCall);
        }),
        { seed: SEED, numRuns: 150 * RUNS, endOnFailure: true },
      );
    }
    await liveCallFlows();
    await processLives();
  });

  it("Telegram webhook: updates generated from the schema of what the bot reads are acknowledged; refused ones write nothing", async () => {
    const post = (body: string) =>
      fetch(`${product.baseUrl}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TELEGRAM_SECRET },
        body,
      });
    await fc.assert(
      fc.asyncProperty(malformedArbitrary(telegramUpdateSchema), async ({ label, value }) => {
        count("telegram webhook", label);
        const body = JSON.stringify(value) ?? "null";
        const refused = !telegramUpdateSchema.safeParse(JSON.parse(body)).success;
        const before = snapshot();
        const response = await post(body);
        // 200 for every update Telegram could resend; Fastify's JSON parser answers 400 to a body with "__proto__" keys.
        // (any label: a generated value may nest such a key anywhere)
        expect(response.status).toBe(/"__proto__"|"constructor"/.test(body) ? response.status : 200);
        expect(response.status).toBeLessThan(500);
        if (refused) expect(snapshot()).toEqual(before);
      }),
      { seed: SEED, numRuns: 300 * RUNS, endOnFailure: true },
    );
    await fc.assert(
      fc.asyncProperty(rawFrameCaseArbitrary(telegramUpdateSchema), async ({ label, frame }) => {
        count("telegram webhook, raw body", label);
        const response = await post(frame.toString());
        expect(response.status).toBeLessThan(500);
      }),
      { seed: SEED, numRuns: 100 * RUNS, endOnFailure: true },
    );
    await liveCallFlows();
    await processLives();
  });

  it("WhatsApp webhooks: signed bodies generated from each schema get an answer, never a 5xx; refused ones write nothing", async () => {
    const inbound = messaging.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming`, postTo: `${product.baseUrl}/whatsapp/incoming` });
    let unsettled: string[] = [];
    await fc.assert(
      fc.asyncProperty(formBodyCaseArbitrary(inboundMessageSchema), async ({ label, body }) => {
        count("whatsapp /whatsapp/incoming", label);
        const refused = refusedWhatsApp(inboundMessageSchema, body);
        if (!refused) {
          const answer = await inbound.deliver(body); // as Twilio: signed, and the sender's 24-hour window opens
          expect(answer.status).toBe(200);
          unsettled.push(body.MessageSid!);
          return;
        }
        // Only what this body does may show in the snapshot: the valid ones before it finish first.
        await whatsappSettled(unsettled);
        unsettled = [];
        const before = snapshot();
        const answer = await inbound.deliver(body);
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(snapshot()).toEqual(before);
      }),
      { seed: SEED, numRuns: 150 * RUNS, endOnFailure: true },
    );
    await whatsappSettled(unsettled);
    await messaging.statusCallbacksIdle();

    // Delivery reports: some name a message the product really sent, with a code that may mark the number unreachable.
    const sent = () => messaging.messages.map((m) => m.sid);
    const reports = fc.record({
      report: formBodyCaseArbitrary(whatsappStatusSchema),
      ours: fc.option(fc.nat(), { nil: undefined }),
      code: fc.option(fc.constantFrom(...[...UNREACHABLE_CODES, 63016, 30008].map(String)), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(reports, async ({ report: { label, body }, ours, code }) => {
        if (label === "valid" && ours !== undefined && sent().length) body.MessageSid = sent()[ours % sent().length]!;
        if (label === "valid" && code !== undefined) body.ErrorCode = code;
        count("whatsapp /whatsapp/status", label);
        const refused = refusedWhatsApp(whatsappStatusSchema, body);
        const before = snapshot();
        // The report is applied before the answer: nothing is left running.
        const answer = await signedPost("/whatsapp/status", body);
        expect(answer.status).toBeLessThan(500);
        if (refused) expect(answer.status).toBeGreaterThanOrEqual(400);
        else expect(answer.status).toBe(204);
        if (refused) expect(snapshot()).toEqual(before);
      }),
      { seed: SEED, numRuns: 150 * RUNS, endOnFailure: true },
    );
    await liveCallFlows();
    await processLives();
    // A reply the product could not deliver is its business, not a handler failure (the last test checks every surface; this names the cause).
    const failed = product.output().split("\n").filter((line) => line.includes('"surface":"whatsapp_webhook"') && line.includes("inbound handler failed"));
    expect(failed.map((line) => /"message":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 300))).toEqual([]);
  });

  it("no handler threw: every bad input was refused by parsing", async () => {
    const metrics = await (await fetch(`${product.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text();
    const failures = metrics.split("\n").filter((line) => line.startsWith("prospecta_handler_failures_total{"));
    expect(failures).toEqual([]);
    await processLives();
  });
});
