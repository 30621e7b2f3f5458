/**
 * /voice/stream is open to the internet: each connection is held to limits,
 * and only a `start` naming a call we placed, by call id, CallSid and account,
 * gets a bridge. Hostile connections are closed while a live call goes on.
 */
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectMediaStream } from "../fakes/media-streams-client";
import type { FakeRealtime } from "../fakes/openai-realtime";
import type { FakeTwilio } from "../fakes/twilio-rest";
import type { TestServer } from "./test-server";
import { mediaReceived, placeAnsweredCall, startStreamingCall, startVoiceHarness, streamUrlOf, type VoiceHarness } from "./voice-call-helpers";

let harness: VoiceHarness;
let twilioFake: FakeTwilio;
let realtime: FakeRealtime;
let server: TestServer;

beforeAll(async () => {
  harness = await startVoiceHarness({ streamLimits: { startTimeoutMs: 300, maxPendingConnections: 4 } });
  ({ twilioFake, realtime, server } = harness);
});
afterAll(() => harness.close());

const media = mediaReceived;
const liveCall = (phone: string) => startStreamingCall(harness, phone);
const rawSocket = async () => {
  const ws = new WebSocket(streamUrlOf(server));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  return { ws, closed };
};

describe("/voice/stream", () => {
  it("a bare {\"event\":\"start\"} is closed and the server lives on", async () => {
    const { ws, closed } = await rawSocket();
    ws.send('{"event":"start"}');
    expect(await closed).toBe(1008);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });

  it.each([
    ["media before start", (callId: number, sid: string) => ({ event: "media", sequenceNumber: "1", streamSid: "MZ1", media: { track: "inbound", chunk: "1", timestamp: "0", payload: "AAAA" }, sid, callId })],
    ["another account", (callId: number, sid: string) => startFrame(callId, sid, "AC99999999999999999999999999999999")],
    ["a CallSid that is not the call's", (callId: number) => startFrame(callId, "CA00000000000000000000000000000000")],
    ["an unknown call", (_callId: number, sid: string) => startFrame(987_654, sid)],
  ])("closes a stream whose first message is %s", async (_what, frame) => {
    const call = await placeAnsweredCall(server, twilioFake, `+5255888${String(Math.floor(Math.random() * 1e5)).padStart(5, "0")}`);
    const { ws, closed } = await rawSocket();
    ws.send(JSON.stringify(frame(call.call_id, call.call_sid)));
    expect(await closed).toBe(1008);
    expect((await server.sql("SELECT stream_claimed_at FROM voice_calls WHERE id = ?", call.call_id))[0].stream_claimed_at).toBeNull();
  });

  it("refuses a second stream for a call that is already streaming, and the first goes on", async () => {
    const { call, side } = await liveCall("+525588800001");
    const second = await connectMediaStream(streamUrlOf(server));
    second.start(call.call_id, "perfilador", call.call_sid);
    expect((await second.closed).code).toBe(1008);
    const appended = realtime.appendedAudio().length;
    side.speak(3);
    await vi.waitFor(() => expect(realtime.appendedAudio().length).toBe(appended + 3));
    side.stop(call.call_sid);
    await side.closed;
  });

  it("closes a connection that sends no start in time, or a binary frame first, or a frame too large", async () => {
    const silent = await rawSocket();
    expect(await silent.closed).toBe(1008);
    const binary = await rawSocket();
    binary.ws.send(Buffer.from([0, 1, 2, 3]));
    expect(await binary.closed).toBe(1008);
    const huge = await rawSocket();
    huge.ws.send(JSON.stringify({ event: "connected", protocol: "Call", version: "x".repeat(64 * 1024) }));
    expect(await huge.closed).toBe(1009);
  });

  it("lets only a few connections wait for their start at once", async () => {
    const waiting = await Promise.all([1, 2, 3, 4].map(() => rawSocket()));
    const refused = await new Promise<string>((resolve) => {
      const extra = new WebSocket(streamUrlOf(server));
      extra.once("unexpected-response", (_request, response) => resolve(String(response.statusCode)));
      extra.once("error", (error) => resolve(error.message));
    });
    expect(refused).toMatch(/503/);
    for (const { ws } of waiting) ws.close();
    await Promise.all(waiting.map(({ closed }) => closed));
  });

  it("cuts a flooding stream while a live call's audio keeps flowing both ways", async () => {
    const flooder = await liveCall("+525588800003");
    const live = await liveCall("+525588800002"); // the fake model's latest session: emit() reaches this call
    const appended = realtime.appendedAudio().length;
    flooder.side.speak(20_000);
    await flooder.side.closed;
    await vi.waitFor(async () => expect((await server.sql("SELECT summary FROM voice_calls WHERE id = ?", flooder.call.call_id))[0].summary).toMatch(/stream inundado/));
    live.side.speak(5);
    await vi.waitFor(() => expect(realtime.appendedAudio().length).toBeGreaterThanOrEqual(appended + 5));
    // The model still reaches the live caller.
    realtime.emit({ type: "response.output_audio.delta", response_id: "r_live", item_id: "item_live", output_index: 0, content_index: 0, delta: Buffer.alloc(160, 0xff).toString("base64") });
    await vi.waitFor(() => expect(media(live.side)).toBe(realtime.greetingFrames + 1));
    live.side.stop(live.call.call_sid);
    await live.side.closed;
  });
});

function startFrame(callId: number, callSid: string, accountSid = "AC00000000000000000000000000000001") {
  return {
    event: "start",
    sequenceNumber: "1",
    streamSid: "MZ0123456789abcdef",
    start: {
      accountSid,
      streamSid: "MZ0123456789abcdef",
      callSid,
      tracks: ["inbound"],
      customParameters: { call_id: String(callId), agent: "perfilador" },
      mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
    },
  };
}
