/**
 * The call follows the real Realtime server's rules (the fake enforces them):
 * one active response at a time, tool calls inside a running response, the
 * caller's interruptions, and an apology Twilio can still play.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FakeRealtime } from "../fakes/openai-realtime";
import type { FakeTwilio } from "../fakes/twilio-rest";
import type { TestServer } from "./test-server";
import { mediaReceived, startStreamingCall, startVoiceHarness, type VoiceHarness } from "./voice-call-helpers";

let harness: VoiceHarness;
let twilioFake: FakeTwilio;
let realtime: FakeRealtime;
let server: TestServer;

beforeAll(async () => {
  harness = await startVoiceHarness();
  ({ twilioFake, realtime, server } = harness);
});
afterAll(() => harness.close());

const media = mediaReceived;
const transcriptOf = async (callId: number) =>
  ((await server.api("GET", `/calls/${callId}`)).body.transcript as { speaker: string; text: string }[]).map((t) => [t.speaker, t.text]);
const startCall = (phone: string) => startStreamingCall(harness, phone);

describe("the Realtime session", () => {
  it("after guardar_datos, called inside a running response, the agent's follow-up answer is heard", async () => {
    const { call, side } = await startCall("+525577770001");
    const errorsBefore = realtime.errors().length;
    side.ackMarks(); // the greeting was heard in full
    await new Promise((resolve) => setTimeout(resolve, 50));
    side.speak(50);
    realtime.callerSays("Busco casa en Zapopan de unos 4 millones", {
      toolCall: { name: "guardar_datos", arguments: JSON.stringify({ property_type: "casa", location: "Zapopan", budget_max: 4_000_000 }) },
    });
    // The follow-up response plays on the call: five more frames of agent audio.
    await vi.waitFor(() => expect(media(side)).toBe(2 * realtime.greetingFrames));
    expect(realtime.errors().slice(errorsBefore)).toEqual([]);
    const sent = realtime.received.filter((e) => e.type === "conversation.item.create" || e.type === "response.create").map((e) => e.type);
    expect(sent.slice(-2)).toEqual(["conversation.item.create", "response.create"]);
    expect((await server.api("GET", `/leads/${call.leadId}`)).body).toMatchObject({ location: "Zapopan", budget_max: 4_000_000 });

    side.stop(call.call_sid);
    await side.closed;
    // The caller's words were transcribed after the agent had started answering; they still come first.
    await vi.waitFor(async () =>
      expect(await transcriptOf(call.call_id)).toEqual([
        ["agent", realtime.agentLine],
        ["lead", "Busco casa en Zapopan de unos 4 millones"],
        ["agent", realtime.agentLine],
      ]),
    );
  });

  it("a tool called with invalid arguments answers the model with the problem and saves nothing", async () => {
    const { call, side } = await startCall("+525577770002");
    realtime.callerSays("Tengo como mucho", { toolCall: { name: "guardar_datos", arguments: '{"budget_max":"mucho","bedrooms":-3}' } });
    await vi.waitFor(() => expect(media(side)).toBe(2 * realtime.greetingFrames));
    const output = realtime.received.filter((e) => e.type === "conversation.item.create").at(-1)!;
    expect(JSON.parse(output.item.output)).toMatchObject({ ok: false, error: expect.stringMatching(/budget_max.*bedrooms|argumentos inválidos/) });
    const lead = (await server.api("GET", `/leads/${call.leadId}`)).body;
    expect(lead.budget_max).toBeNull();
    expect(lead.bedrooms).toBeNull();
    side.stop(call.call_sid);
    await side.closed;
  });

  it("an interrupted agent line keeps only what the caller heard", async () => {
    realtime.greetingFrames = 10;
    realtime.agentLine = "Hola, te llamo de la inmobiliaria para platicar de la casa que buscas";
    try {
      const { call, side } = await startCall("+525577770003");
      side.ackMarks(4); // 80 of 200 ms played when the caller speaks
      await new Promise((resolve) => setTimeout(resolve, 50));
      realtime.emit({ type: "input_audio_buffer.speech_started", event_id: "e1", audio_start_ms: 80, item_id: "item_caller_1" });
      await vi.waitFor(() => expect(side.received.some((m) => m.event === "clear")).toBe(true));
      await vi.waitFor(() => expect(realtime.sent.some((e) => e.type === "conversation.item.truncated" && e.audio_end_ms === 80)).toBe(true));
      await vi.waitFor(async () => expect(await transcriptOf(call.call_id)).toEqual([["agent", "Hola, te llamo de la…"]]));
      side.stop(call.call_sid);
      await side.closed;
    } finally {
      realtime.greetingFrames = 5;
      realtime.agentLine = "Hola, te llamo de la inmobiliaria. ¿Es buen momento?";
    }
  });

  it("when the model drops, Twilio accepts the apology before the stream is let go", async () => {
    const { call, side } = await startCall("+525577770004");
    realtime.drop();
    await side.closed;
    await vi.waitFor(() => expect(twilioFake.updates.some((u) => u.sid === call.call_sid)).toBe(true));
    expect(twilioFake.refusedUpdates.filter((u) => u.sid === call.call_sid)).toEqual([]);
    expect(twilioFake.updates.find((u) => u.sid === call.call_sid)!.params.get("Twiml")).toMatch(/Una disculpa/);
    await vi.waitFor(async () => expect((await server.sql("SELECT summary FROM voice_calls WHERE id = ?", call.call_id))[0].summary).toMatch(/conexión con el modelo perdida/));
  });
});
