/** Placing outbound calls through the twilio client: TwiML and status callbacks point back at us. */
import twilio from "twilio";
import type { TwilioClient } from "../src/channels/twilio-client";

export interface PlaceCallRequest {
  callId: number;
  to: string;
}

export interface CallPlacer {
  readonly provider: "twilio";
  readonly fromNumber: string;
  place(request: PlaceCallRequest): Promise<{ sid: string; status: string }>;
  /** Replaces what the call is doing with a short spoken message and a hang-up. */
  sayAndHangUp(sid: string, message: string): Promise<void>;
}

export function createTwilioCallPlacer(client: TwilioClient, fromNumber: string, webhookBaseUrl: string): CallPlacer {
  const base = webhookBaseUrl.replace(/\/$/, "");
  return {
    provider: "twilio",
    fromNumber,
    async place({ callId, to }) {
      const call = await client.calls.create({
        to,
        from: fromNumber,
        url: `${base}/voice/twiml?call_id=${callId}`,
        method: "POST",
        statusCallback: `${base}/voice/status?call_id=${callId}`,
        statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
        statusCallbackMethod: "POST",
        // Voicemail gets a short message and a hang-up, never a conversation with a machine.
        machineDetection: "Enable",
      });
      return { sid: call.sid, status: call.status };
    },
    async sayAndHangUp(sid, message) {
      const response = new twilio.twiml.VoiceResponse();
      response.say({ language: "es-MX" }, message);
      response.hangup();
      await client.calls(sid).update({ twiml: response.toString() });
    },
  };
}
