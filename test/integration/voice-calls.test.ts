/** Placing calls with the official twilio client against a fake Twilio REST server, and Twilio's signed webhooks. */
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTwilio, type FakeTwilio } from "../fakes/twilio-rest";
import { startTestServer, type TestServer } from "./test-server";

const WEBHOOK_BASE = "https://voz.inmobiliaria.example";
let fake: FakeTwilio;
let server: TestServer;

beforeAll(async () => {
  fake = await startFakeTwilio();
  server = await startTestServer({
    env: {
      VOICE_PROVIDER: "twilio",
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_PHONE_NUMBER: "+525500000000",
      WEBHOOK_BASE_URL: WEBHOOK_BASE,
      TWILIO_API_BASE: fake.apiBase,
      MAX_CONCURRENT_CALLS: "2",
    },
  });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

/** Posts a webhook the way Twilio does: form-encoded, signed for WEBHOOK_BASE_URL + path. */
async function webhook(path: string, params: Record<string, string>, signature?: string) {
  const sign = signature ?? twilio.getExpectedTwilioSignature(fake.authToken, `${WEBHOOK_BASE}${path}`, params);
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sign },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: await response.text() };
}

async function lead(fields: Record<string, unknown>) {
  return (await server.api("POST", "/leads", { name: "Llamable", ...fields })).body as { id: number };
}

describe("placing a call", () => {
  let callId = 0;
  let callSid = "";

  it("creates the call and asks Twilio to dial with our TwiML, status callbacks and machine detection", async () => {
    const { id } = await lead({ phone: "+525511110001" });
    const response = await server.api("POST", "/calls/initiate", { lead_id: id, campaign_id: null, agent_type: "financiero" });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ lead_id: id, status: "queued", agent_type: "financiero", call_sid: expect.stringMatching(/^CA[0-9a-f]{32}$/) });
    callId = response.body.call_id;
    callSid = response.body.call_sid;
    const placed = fake.calls.at(-1)!.params;
    expect(placed.get("To")).toBe("+525511110001");
    expect(placed.get("From")).toBe("+525500000000");
    expect(placed.get("Url")).toBe(`${WEBHOOK_BASE}/voice/twiml?call_id=${callId}`);
    expect(placed.get("StatusCallback")).toBe(`${WEBHOOK_BASE}/voice/status?call_id=${callId}`);
    expect(placed.getAll("StatusCallbackEvent")).toEqual(["initiated", "ringing", "answered", "completed"]);
    expect(placed.get("MachineDetection")).toBe("Enable");
  });

  it("answers the TwiML webhook with a Media Stream carrying the call id and agent", async () => {
    const twiml = await webhook(`/voice/twiml?call_id=${callId}`, { CallSid: callSid, AccountSid: fake.accountSid, AnsweredBy: "human" });
    expect(twiml.status).toBe(200);
    expect(twiml.body).toContain('<Connect><Stream url="wss://voz.inmobiliaria.example/voice/stream">');
    expect(twiml.body).toContain(`<Parameter name="call_id" value="${callId}"/>`);
    expect(twiml.body).toContain('<Parameter name="agent" value="financiero"/>');
  });

  it("follows status callbacks forward only, ignoring duplicates and late events", async () => {
    for (const status of ["initiated", "ringing", "in-progress", "ringing", "in-progress"]) {
      expect((await webhook(`/voice/status?call_id=${callId}`, { CallSid: callSid, CallStatus: status })).status).toBe(204);
    }
    expect((await server.api("GET", `/calls/${callId}`)).body.status).toBe("in_progress");
    await webhook(`/voice/status?call_id=${callId}`, { CallSid: callSid, CallStatus: "completed", CallDuration: "95" });
    await webhook(`/voice/status?call_id=${callId}`, { CallSid: callSid, CallStatus: "ringing" });
    await webhook(`/voice/status?call_id=${callId}`, { CallSid: callSid, CallStatus: "failed" });
    const call = (await server.api("GET", `/calls/${callId}`)).body;
    expect(call).toMatchObject({ status: "completed", duration_seconds: 95, failure_reason: null });
    expect(call.started_at).not.toBeNull();
    expect(call.ended_at).not.toBeNull();
  });

  it("a voicemail gets a short message and a hang-up, and a busy line is recorded as such", async () => {
    const { id } = await lead({ phone: "+525511110002" });
    const call = (await server.api("POST", "/calls/initiate", { lead_id: id, agent_type: "perfilador" })).body;
    const twiml = await webhook(`/voice/twiml?call_id=${call.call_id}`, { CallSid: call.call_sid, AnsweredBy: "machine_start" });
    expect(twiml.body).toMatch(/<Say language="es-MX">.*<\/Say><Hangup\/>/);
    await webhook(`/voice/status?call_id=${call.call_id}`, { CallSid: call.call_sid, CallStatus: "busy" });
    expect((await server.api("GET", `/calls/${call.call_id}`)).body).toMatchObject({ status: "busy", failure_reason: "busy", answered_by: "machine_start" });
  });
});

describe("refusals", () => {
  it("refuses a lead without phone, an opted-out lead, a second active call, and too many calls at once", async () => {
    const noPhone = await lead({});
    expect((await server.api("POST", "/calls/initiate", { lead_id: noPhone.id, agent_type: "perfilador" })).status).toBe(409);
    const optedOut = await lead({ phone: "+525511110003", opted_out: true });
    const refused = await server.api("POST", "/calls/initiate", { lead_id: optedOut.id, agent_type: "perfilador" });
    expect(refused).toMatchObject({ status: 409, body: { message: expect.stringMatching(/dado de baja/) } });

    const busy = await lead({ phone: "+525511110004" });
    expect((await server.api("POST", "/calls/initiate", { lead_id: busy.id, agent_type: "perfilador" })).status).toBe(201);
    expect((await server.api("POST", "/calls/initiate", { lead_id: busy.id, agent_type: "perfilador" })).body.message).toMatch(/en curso/);
    const other = await lead({ phone: "+525511110008" });
    expect((await server.api("POST", "/calls/initiate", { lead_id: other.id, agent_type: "perfilador" })).status).toBe(201);
    // Two active calls now (MAX_CONCURRENT_CALLS=2): a third lead waits.
    const third = await lead({ phone: "+525511110005" });
    const limited = await server.api("POST", "/calls/initiate", { lead_id: third.id, agent_type: "perfilador" });
    expect(limited.status).toBe(429);
    expect((await server.sql("SELECT COUNT(*) AS n FROM voice_calls WHERE lead_id = ?", third.id))[0].n).toBe(0);
  });

  it("never places more calls than the limit when requests come at the same moment", async () => {
    await server.sql("UPDATE voice_calls SET status = 'completed' RETURNING id");
    const leads = [];
    for (let i = 0; i < 20; i++) leads.push(await lead({ phone: `+5255111110${String(30 + i)}` }));
    // On PostgreSQL the requests' transactions run side by side: the placement lock keeps them from all passing the check.
    const answers = await Promise.all(leads.map((l) => server.api("POST", "/calls/initiate", { lead_id: l.id, agent_type: "perfilador" })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(18);
    expect((await server.sql("SELECT COUNT(*) AS n FROM voice_calls WHERE status NOT IN ('completed', 'failed')"))[0].n).toBe(2);
    await server.sql("UPDATE voice_calls SET status = 'completed' RETURNING id");
  });

  it("respects calling hours unless forced", async () => {
    const night = await lead({ phone: "+525511110006" });
    server.clock.set("2026-01-16T05:00:00Z"); // 23:00 local
    // Free the concurrency slots taken by the previous test.
    await server.sql("UPDATE voice_calls SET status = 'completed' RETURNING id");
    const refused = await server.api("POST", "/calls/initiate", { lead_id: night.id, agent_type: "perfilador" });
    expect(refused).toMatchObject({ status: 409, body: { message: expect.stringMatching(/horario de llamadas/) } });
    expect((await server.api("POST", "/calls/initiate", { lead_id: night.id, agent_type: "perfilador", force: true })).status).toBe(201);
    server.clock.set("2026-01-15T16:00:00Z");
  });

  it("a number Twilio refuses fails the call with the provider's reason (502)", async () => {
    await server.sql("UPDATE voice_calls SET status = 'completed' RETURNING id");
    const { id } = await lead({ phone: "+525511110007" });
    fake.rejectNumbers.add("+525511110007");
    const response = await server.api("POST", "/calls/initiate", { lead_id: id, agent_type: "perfilador" });
    expect(response.status).toBe(502);
    expect(response.body.message).toMatch(/Invalid 'To' Phone Number/);
    expect(await server.sql("SELECT status FROM voice_calls WHERE lead_id = ?", id)).toEqual([{ status: "failed" }]);
  });
});

describe("webhook security and inbound calls", () => {
  it("validates Twilio's published signature example", () => {
    const params = { CallSid: "CA1234567890ABCDE", Caller: "+14158675310", Digits: "1234", From: "+14158675310", To: "+18005551212" };
    expect(twilio.validateRequest("12345", "GvWf1cFY/Q7PnoempGyD5oXAezc=", "https://mycompany.com/myapp.php?foo=1&bar=2", params)).toBe(true);
  });

  it("refuses a forged or missing signature with 403 and changes nothing", async () => {
    const before = (await server.sql("SELECT COUNT(*) AS n FROM voice_calls"))[0].n;
    expect((await webhook("/voice/incoming", { CallSid: "CAforged", From: "+525599990000", To: "+525500000000" }, "Zm9yZ2Vk")).status).toBe(403);
    const unsigned = await fetch(`${server.baseUrl}/voice/status`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "CallSid=CA1&CallStatus=completed" });
    expect(unsigned.status).toBe(403);
    expect((await server.sql("SELECT COUNT(*) AS n FROM voice_calls"))[0].n).toBe(before);
  });

  it("answers an inbound call: a known number is its lead, an unknown one becomes a new lead", async () => {
    const known = await lead({ phone: "+525512120000" });
    const first = await webhook("/voice/incoming", { CallSid: "CAin1", From: "+525512120000", To: "+525500000000" });
    expect(first.body).toContain("<Connect><Stream");
    expect(await server.sql("SELECT lead_id, direction, status FROM voice_calls WHERE provider_call_sid = 'CAin1'")).toEqual([
      { lead_id: known.id, direction: "inbound", status: "in_progress" },
    ]);
    await webhook("/voice/incoming", { CallSid: "CAin2", From: "+525534340000", To: "+525500000000" });
    const [created] = await server.sql("SELECT l.source, l.phone FROM voice_calls c JOIN leads l ON l.id = c.lead_id WHERE c.provider_call_sid = 'CAin2'");
    expect(created).toEqual({ source: "llamada_entrante", phone: "+525534340000" });
  });
});
