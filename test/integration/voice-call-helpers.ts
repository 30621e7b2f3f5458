/** What voice tests start from: the fakes and the product, a call placed and answered, a stream playing the greeting. */
import twilio from "twilio";
import { expect, vi } from "vitest";
import { connectMediaStream, type MediaStreamsClient } from "../fakes/media-streams-client";
import { startFakeRealtime, type FakeRealtime } from "../fakes/openai-realtime";
import { startFakeTwilio, type FakeTwilio } from "../fakes/twilio-rest";
import type { StreamLimits } from "../../voice/stream-server";
import { startTestServer, TEST_WEBHOOK_BASE, type TestServer, voiceEnv } from "./test-server";

export interface VoiceHarness {
  twilioFake: FakeTwilio;
  realtime: FakeRealtime;
  server: TestServer;
  close(): Promise<void>;
}

/** Fake Twilio and Realtime servers, and the product with voice pointed at them. */
export async function startVoiceHarness(options: { env?: Record<string, string>; streamLimits?: Partial<StreamLimits> } = {}): Promise<VoiceHarness> {
  const twilioFake = await startFakeTwilio();
  const realtime = await startFakeRealtime();
  const server = await startTestServer({ env: { ...voiceEnv(twilioFake, realtime), ...options.env }, ...(options.streamLimits && { streamLimits: options.streamLimits }) });
  return {
    twilioFake,
    realtime,
    server,
    async close() {
      await server.close();
      await realtime.close();
      await twilioFake.close();
    },
  };
}

export interface AnsweredCall {
  leadId: number;
  call_id: number;
  call_sid: string;
}

export async function placeAnsweredCall(server: TestServer, twilioFake: FakeTwilio, phone: string, agent = "perfilador", name = "Marta Díaz"): Promise<AnsweredCall> {
  const lead = (await server.api("POST", "/leads", { name, phone })).body as { id: number };
  const call = (await server.api("POST", "/calls/initiate", { lead_id: lead.id, agent_type: agent })).body as { call_id: number; call_sid: string };
  const params = { CallSid: call.call_sid, CallStatus: "in-progress" };
  const path = `/voice/status?call_id=${call.call_id}`;
  await fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilio.getExpectedTwilioSignature(twilioFake.authToken, `${TEST_WEBHOOK_BASE}${path}`, params) },
    body: new URLSearchParams(params).toString(),
  });
  twilioFake.answer(call.call_sid);
  return { leadId: lead.id, ...call };
}

export const streamUrlOf = (server: TestServer) => `${server.baseUrl.replace("http", "ws")}/voice/stream`;

export const mediaReceived = (side: MediaStreamsClient) => side.received.filter((m) => m.event === "media").length;

/** A call placed, answered and streaming, once its greeting has reached the caller. */
export async function startStreamingCall(harness: VoiceHarness, phone: string): Promise<{ call: AnsweredCall; side: MediaStreamsClient }> {
  const { server, twilioFake, realtime } = harness;
  const call = await placeAnsweredCall(server, twilioFake, phone);
  const side = await connectMediaStream(streamUrlOf(server), { twilio: twilioFake });
  side.start(call.call_id, "perfilador", call.call_sid);
  await vi.waitFor(() => expect(mediaReceived(side)).toBe(realtime.greetingFrames));
  return { call, side };
}
