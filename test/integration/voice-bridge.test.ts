/** A call through /voice/stream: a Twilio Media Streams client ⇄ our bridge ⇄ a fake OpenAI Realtime server. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMediaStream } from "../fakes/media-streams-client";
import type { FakeRealtime } from "../fakes/openai-realtime";
import type { FakeTwilio } from "../fakes/twilio-rest";
import { openRawSql } from "../support/raw-sql";
import { createTestDatabase } from "../support/test-database";
import { startTestServer, type TestServer, voiceEnv } from "./test-server";
import { placeAnsweredCall, startVoiceHarness, type VoiceHarness } from "./voice-call-helpers";

let harness: VoiceHarness;
let twilioFake: FakeTwilio;
let realtime: FakeRealtime;
let server: TestServer;

beforeAll(async () => {
  harness = await startVoiceHarness();
  ({ twilioFake, realtime, server } = harness);
});
afterAll(() => harness.close());

const until = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const placeCall = (phone: string, agent = "perfilador") => placeAnsweredCall(server, twilioFake, phone, agent);

const streamUrl = () => `${server.baseUrl.replace("http", "ws")}/voice/stream`;

describe("the voice bridge", () => {
  it("runs a whole call: greeting first, caller audio never dropped, transcript, saved facts, summary and stage move", async () => {
    const call = await placeCall("+525566660001");
    const before = realtime.received.length;
    const twilioSide = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    twilioSide.start(call.call_id, "perfilador", call.call_sid);
    twilioSide.speak(3); // the caller says "¿bueno?" while the model's socket is still opening
    await until(() => twilioSide.received.filter((m) => m.event === "media").length === 5, "the greeting audio");

    const sent = realtime.received.slice(before).map((e) => e.type);
    expect(sent.slice(0, 5)).toEqual(["session.update", "input_audio_buffer.append", "input_audio_buffer.append", "input_audio_buffer.append", "response.create"]);
    const session = realtime.received[before]!.session;
    expect(session.audio.input.format.type).toBe("audio/pcmu");
    expect(session.audio.output.format.type).toBe("audio/pcmu");
    expect(session.audio.input.transcription.language).toBe("es");
    expect(session.instructions).toMatch(/llamada telefónica con Marta/);
    expect(session.tools.map((t: { name: string }) => t.name)).toEqual(["guardar_datos", "ofrecer_horarios", "agendar_cita", "pedir_asesor", "dar_de_baja", "colgar"]);
    const media = twilioSide.received.filter((m) => m.event === "media");
    expect(media.every((m) => m.streamSid === twilioSide.streamSid)).toBe(true);
    expect(twilioSide.received.filter((m) => m.event === "mark")).toHaveLength(5);

    twilioSide.speak(10);
    await until(() => realtime.appendedAudio().length >= 13, "caller audio");
    realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "item_u1", content_index: 0, transcript: "Busco casa en Zapopan de unos 4 millones" });
    realtime.emit({ type: "response.function_call_arguments.done", response_id: "resp_x", item_id: "item_f", output_index: 0, call_id: "call_1", name: "guardar_datos", arguments: JSON.stringify({ property_type: "casa", location: "Zapopan", budget_max: 4000000, estado: "aprobado" }) });
    await until(() => realtime.received.some((e) => e.type === "conversation.item.create"), "the function output");
    const output = realtime.received.find((e) => e.type === "conversation.item.create")!;
    expect(output.item).toMatchObject({ type: "function_call_output", call_id: "call_1" });
    expect(JSON.parse(output.item.output)).toMatchObject({ ok: true });

    twilioSide.stop(call.call_sid);
    await twilioSide.closed;
    await until(async () => (await server.sql("SELECT summary FROM voice_calls WHERE id = ?", call.call_id))[0].summary !== null, "the summary");
    const detail = (await server.api("GET", `/calls/${call.call_id}`)).body;
    expect(detail.transcript.map((t: { speaker: string; text: string }) => [t.speaker, t.text])).toEqual([
      ["agent", "Hola, te llamo de la inmobiliaria. ¿Es buen momento?"],
      ["lead", "Busco casa en Zapopan de unos 4 millones"],
      ["agent", "Hola, te llamo de la inmobiliaria. ¿Es buen momento?"],
    ]);
    expect(detail.transcript.every((t: { offset_ms: unknown }) => typeof t.offset_ms === "number")).toBe(true);
    expect(detail.summary).toMatch(/Zapopan/);
    expect(detail.extracted).toMatchObject({ location: "Zapopan", budget_max: 4_000_000, property_type: "casa" });
    const lead = (await server.api("GET", `/leads/${call.leadId}`)).body;
    expect(lead).toMatchObject({ property_type: "casa", location: "Zapopan", budget_max: 4_000_000, pipeline_stage: "calificacion_financiera" });
    expect(lead.stage_history.map((h: { actor: string }) => h.actor).slice(1)).toEqual(["voice:call", "voice:call"]);
  });

  it("barge-in clears Twilio's audio and truncates at what the caller heard, never more", async () => {
    const call = await placeCall("+525566660002");
    const twilioSide = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    twilioSide.start(call.call_id, "perfilador", call.call_sid);
    await until(() => twilioSide.received.filter((m) => m.event === "mark").length === 5, "the greeting");
    twilioSide.ackMarks(2); // 40 ms of the 100 ms sent were played
    await new Promise((resolve) => setTimeout(resolve, 50));
    const truncatesBefore = realtime.received.filter((e) => e.type === "conversation.item.truncate").length;
    realtime.emit({ type: "input_audio_buffer.speech_started", audio_start_ms: 500, item_id: "item_u" });
    await until(() => twilioSide.received.some((m) => m.event === "clear"), "clear");
    await until(() => realtime.received.filter((e) => e.type === "conversation.item.truncate").length > truncatesBefore, "truncate");
    const truncate = realtime.received.filter((e) => e.type === "conversation.item.truncate").at(-1)!;
    expect(truncate).toMatchObject({ content_index: 0, audio_end_ms: 40 });

    // Nothing playing (all heard): speaking again truncates nothing.
    realtime.emit({ type: "response.output_audio.delta", response_id: "r9", item_id: "item_9", output_index: 0, content_index: 0, delta: Buffer.alloc(160, 0xff).toString("base64") });
    await until(() => twilioSide.received.filter((m) => m.event === "mark").length === 6, "one more mark");
    twilioSide.ackMarks();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const count = realtime.received.filter((e) => e.type === "conversation.item.truncate").length;
    realtime.emit({ type: "input_audio_buffer.speech_started", audio_start_ms: 900, item_id: "item_u2" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(realtime.received.filter((e) => e.type === "conversation.item.truncate").length).toBe(count);
    twilioSide.stop(call.call_sid);
    await twilioSide.closed;
  });

  it("a campaign's start_call step places the call and its log gets the call's outcome", async () => {
    const campaign = (
      await server.api("POST", "/campaigns", { name: "Calificación por llamada", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "perfilamiento" } })
    ).body;
    await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "start_call", agent_type: "financiero", delay_hours: 0 });
    await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" });
    const lead = (await server.api("POST", "/leads", { name: "Raúl", phone: "+525566660009" })).body;
    await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "perfilamiento" });
    await server.prospecta.campaignEngine.idle();
    const [log] = await server.sql("SELECT status, detail FROM campaign_logs WHERE campaign_id = ? AND lead_id = ?", campaign.id, lead.id);
    expect(log.status).toBe("success");
    const { call_id: callId, call_sid: callSid } = JSON.parse(log.detail);
    expect(twilioFake.calls.at(-1)!.params.get("To")).toBe("+525566660009");

    const twilioSide = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    twilioSide.start(callId, "financiero", callSid);
    await until(() => twilioSide.received.filter((m) => m.event === "media").length === 5, "the greeting");
    realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "i", content_index: 0, transcript: "Tengo crédito Infonavit" });
    await until(async () => (await server.sql("SELECT COUNT(*) AS n FROM call_transcripts WHERE call_id = ?", callId))[0].n === 2, "the words");
    twilioSide.stop(callSid);
    await twilioSide.closed;
    await until(async () => (await server.sql("SELECT summary FROM voice_calls WHERE id = ?", callId))[0].summary !== null, "finalisation");
    const outcome = JSON.parse((await server.sql("SELECT detail FROM campaign_logs WHERE campaign_id = ? AND lead_id = ?", campaign.id, lead.id))[0].detail).call_outcome;
    expect(outcome).toMatchObject({ end_reason: "el cliente colgó", learned: expect.arrayContaining(["credit_type"]) });
  });

  it("offers free slots and books the appointment from the call, with the chat's booking", async () => {
    const call = await placeCall("+525566660010", "financiero");
    await server.api("PATCH", `/leads/${call.leadId}`, { credit_type: "contado", financially_approved: true });
    await server.api("POST", `/pipeline/leads/${call.leadId}/move-stage`, { new_stage: "calificacion_financiera", force: true });
    const twilioSide = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    twilioSide.start(call.call_id, "financiero", call.call_sid);
    await until(() => twilioSide.received.filter((m) => m.event === "media").length === 5, "the greeting");

    const outputs = () => realtime.received.filter((e) => e.type === "conversation.item.create");
    const before = outputs().length;
    realtime.emit({ type: "response.function_call_arguments.done", response_id: "r", item_id: "f1", output_index: 0, call_id: "slots_1", name: "ofrecer_horarios", arguments: "{}" });
    await until(() => outputs().length > before, "the slots");
    const offered = JSON.parse(outputs().at(-1)!.item.output);
    expect(offered.horarios).toHaveLength(3);
    expect(offered.horarios[0].legible).toMatch(/de enero, \d\d:\d\d$/);

    realtime.emit({ type: "response.function_call_arguments.done", response_id: "r", item_id: "f2", output_index: 0, call_id: "book_1", name: "agendar_cita", arguments: JSON.stringify({ inicio: offered.horarios[1].inicio }) });
    await until(() => outputs().length > before + 1, "the booking");
    expect(JSON.parse(outputs().at(-1)!.item.output)).toMatchObject({ ok: true, cita: offered.horarios[1].legible });
    expect(await server.sql("SELECT starts_at FROM appointments WHERE lead_id = ?", call.leadId)).toEqual([{ starts_at: Date.parse(offered.horarios[1].inicio) }]);
    expect((await server.api("GET", `/leads/${call.leadId}`)).body.pipeline_stage).toBe("agendado");
    twilioSide.stop(call.call_sid);
    await twilioSide.closed;
  });

  it("a caller who asks for a person is handed to an asesor, and one who asks for no more calls is opted out, as in chat", async () => {
    const call = await placeCall("+525566660013");
    const twilioSide = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    twilioSide.start(call.call_id, "perfilador", call.call_sid);
    await until(() => twilioSide.received.filter((m) => m.event === "media").length === 5, "the greeting");
    const outputs = () => realtime.received.filter((e) => e.type === "conversation.item.create").map((e) => JSON.parse(e.item.output));
    const before = outputs().length;

    realtime.emit({ type: "response.function_call_arguments.done", response_id: "r", item_id: "h1", output_index: 0, call_id: "handoff_1", name: "pedir_asesor", arguments: "{}" });
    await until(() => outputs().length > before, "the handoff");
    expect(outputs().at(-1)).toMatchObject({ ok: true, mensaje: expect.stringMatching(/^Se avisó a un asesor/) });
    realtime.emit({ type: "response.function_call_arguments.done", response_id: "r", item_id: "h2", output_index: 0, call_id: "handoff_2", name: "pedir_asesor", arguments: "{}" });
    await until(() => outputs().length > before + 1, "the second handoff");
    expect(outputs().at(-1)).toMatchObject({ ok: true, mensaje: expect.stringMatching(/^Ya se avisó/) });

    realtime.emit({ type: "response.function_call_arguments.done", response_id: "r", item_id: "b1", output_index: 0, call_id: "optout_1", name: "dar_de_baja", arguments: "{}" });
    await until(() => outputs().length > before + 2, "the opt-out");
    expect(outputs().at(-1)).toMatchObject({ ok: true, mensaje: expect.stringMatching(/dado de baja/) });

    const lead = (await server.api("GET", `/leads/${call.leadId}`)).body;
    expect(lead).toMatchObject({ opted_out: true, handoff_at: expect.any(String) });
    expect(await server.sql("SELECT actor, action FROM audit_logs WHERE entity_id = ? AND action IN ('lead.handoff_requested', 'lead.update') ORDER BY id", call.leadId)).toEqual([
      { actor: "voice:call", action: "lead.handoff_requested" },
      { actor: "voice:call", action: "lead.update" },
    ]);
    // Opted out: the campaign engine will not call or write again (a new call is refused).
    expect((await server.api("POST", "/calls/initiate", { lead_id: call.leadId })).status).toBe(409);
    twilioSide.stop(call.call_sid);
    await twilioSide.closed;
  });

  it("what the lead says on the call can approve it, by the same rule as the chat", async () => {
    const call = await placeCall("+525566660011", "financiero");
    await server.api("POST", `/pipeline/leads/${call.leadId}/move-stage`, { new_stage: "calificacion_financiera", force: true });
    const twilioSide = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    twilioSide.start(call.call_id, "financiero", call.call_sid);
    await until(() => twilioSide.received.filter((m) => m.event === "media").length === 5, "the greeting");
    realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "i", content_index: 0, transcript: "Lo pagaría de contado" });
    await until(async () => (await server.sql("SELECT COUNT(*) AS n FROM call_transcripts WHERE call_id = ?", call.call_id))[0].n === 2, "the words");
    twilioSide.stop(call.call_sid);
    await twilioSide.closed;
    await until(async () => (await server.sql("SELECT financially_approved FROM leads WHERE id = ?", call.leadId))[0].financially_approved === 1, "the approval");
    expect(await server.sql("SELECT actor FROM audit_logs WHERE action = 'lead.financial_approval' AND entity_id = ?", call.leadId)).toEqual([{ actor: "system:approval" }]);
  });

  it("a connection that sends garbage is closed without touching a call in progress", async () => {
    const call = await placeCall("+525566660012");
    const good = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    good.start(call.call_id, "perfilador", call.call_sid);
    await until(() => good.received.filter((m) => m.event === "media").length === 5, "the greeting");

    const junk = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    junk.sendRaw("\u0000\u0001 not json at all");
    junk.sendRaw(JSON.stringify({ event: "start", start: { customParameters: {} } }));
    expect((await junk.closed).code).toBe(1008);

    const appended = realtime.appendedAudio().length;
    good.speak(3);
    await until(() => realtime.appendedAudio().length === appended + 3, "the good call's audio");
    good.stop(call.call_sid);
    await good.closed;
  });

  it("closes a stream for a call we did not place", async () => {
    const twilioSide = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    twilioSide.start(999_999, "perfilador", "CAnotours");
    expect((await twilioSide.closed).code).toBe(1008);
  });

  it("keeps the partial transcript and finalises the call when the model drops mid-call", async () => {
    const call = await placeCall("+525566660003");
    const twilioSide = await connectMediaStream(streamUrl(), { twilio: twilioFake });
    twilioSide.start(call.call_id, "financiero", call.call_sid);
    await until(() => twilioSide.received.filter((m) => m.event === "media").length === 5, "the greeting");
    realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "item_u", content_index: 0, transcript: "Gano unos 40 mil al mes" });
    await until(async () => (await server.sql("SELECT COUNT(*) AS n FROM call_transcripts WHERE call_id = ?", call.call_id))[0].n === 2, "the caller's words");
    realtime.drop();
    await twilioSide.closed;
    await until(async () => (await server.sql("SELECT summary FROM voice_calls WHERE id = ?", call.call_id))[0].summary !== null, "finalisation");
    const detail = (await server.api("GET", `/calls/${call.call_id}`)).body;
    expect(detail.summary).toMatch(/conexión con el modelo perdida/);
    // Twilio was asked to apologise and hang up, since the model can no longer speak.
    await until(() => twilioFake.updates.some((u) => u.sid === call.call_sid), "the apology");
    expect(twilioFake.updates.find((u) => u.sid === call.call_sid)!.params.get("Twiml")).toMatch(/<Say language="es-MX">Una disculpa.*<Hangup\/>/);
    expect(detail.extracted).toMatchObject({ monthly_income: 40_000 });
    expect((await server.api("GET", `/leads/${call.leadId}`)).body.monthly_income).toBe(40_000);
  });
});

describe("the voice bridge at its limits", () => {
  it("a shutdown ends calls in progress politely and keeps their results", async () => {
    // A database of its own, to read once the product has closed it.
    const dir = mkdtempSync(join(tmpdir(), "prospecta-voice-shutdown-"));
    const database = await createTestDatabase(dir, "shutdown");
    const own = await startTestServer({
      env: {
        ...voiceEnv(twilioFake, realtime),
        DATABASE_URL: database.url,
      },
    });
    const lead = (await own.api("POST", "/leads", { name: "Apagado", phone: "+525566668888" })).body;
    const call = (await own.api("POST", "/calls/initiate", { lead_id: lead.id, agent_type: "perfilador" })).body;
    twilioFake.answer(call.call_sid);
    const twilioSide = await connectMediaStream(`${own.baseUrl.replace("http", "ws")}/voice/stream`, { twilio: twilioFake });
    twilioSide.start(call.call_id, "perfilador", call.call_sid);
    await until(() => twilioSide.received.filter((m) => m.event === "media").length >= 5, "the greeting");
    await own.prospecta.close(); // what SIGTERM runs
    await twilioSide.closed;
    expect(twilioFake.updates.find((u) => u.sid === call.call_sid)?.params.get("Twiml")).toMatch(/Tenemos que terminar la llamada/);
    const copy = openRawSql(database.url);
    expect((await copy.query<{ summary: string }>("SELECT summary FROM voice_calls WHERE id = ?", call.call_id))[0]!.summary).toMatch(/servidor detenido/);
    await copy.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });


  it("skips a bad frame without dropping the call, and closes politely at CALL_MAX_MINUTES", async () => {
    const limited = await startTestServer({
      env: {
        ...voiceEnv(twilioFake, realtime),
        CALL_MAX_MINUTES: "0.01", // 600 ms
      },
    });
    try {
      const lead = (await limited.api("POST", "/leads", { name: "Corta", phone: "+525566669999" })).body;
      const call = (await limited.api("POST", "/calls/initiate", { lead_id: lead.id, agent_type: "perfilador" })).body;
      twilioFake.answer(call.call_sid);
      const twilioSide = await connectMediaStream(`${limited.baseUrl.replace("http", "ws")}/voice/stream`, { twilio: twilioFake });
      twilioSide.start(call.call_id, "perfilador", call.call_sid);
      await until(() => twilioSide.received.filter((m) => m.event === "media").length >= 5, "the greeting");
      const appended = realtime.appendedAudio().length;
      // A frame that is not JSON, and one that is not a Media Streams event: logged and skipped.
      twilioSide.sendRaw("{not json");
      twilioSide.sendRaw(JSON.stringify({ event: "nonsense" }));
      twilioSide.speak(1);
      await until(() => realtime.appendedAudio().length === appended + 1, "audio after the bad frames");
      await until(() => realtime.received.some((e) => e.type === "response.create" && /Se acabó el tiempo/.test(e.response?.instructions ?? "")), "the polite close");
      await twilioSide.closed;
      await until(async () => (await limited.sql("SELECT summary FROM voice_calls WHERE id = ?", call.call_id))[0].summary !== null, "finalisation");
      expect((await limited.sql("SELECT summary FROM voice_calls WHERE id = ?", call.call_id))[0].summary).toMatch(/tiempo máximo/);
    } finally {
      await limited.close();
    }
  });
});
