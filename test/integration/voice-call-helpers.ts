/** A call placed through the API and answered, as Twilio reports it: what voice tests start from. */
import twilio from "twilio";
import type { FakeTwilio } from "../fakes/twilio-rest";
import { TEST_WEBHOOK_BASE, type TestServer } from "./test-server";

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
