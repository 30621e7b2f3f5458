/**
 * Plays Twilio's side of a Media Stream against our /voice/stream: the exact
 * messages Twilio sends (connected, start with customParameters, media, mark
 * echoes, stop), and records what our server sends back (media, mark, clear).
 * Given the fake Twilio REST API, it plays the call's life there too: a TwiML
 * update ends the stream from Twilio's side (stop, then close), and our server
 * closing the stream first ends the call.
 */
import WebSocket from "ws";
import { SILENCE_20MS } from "./openai-realtime";
import type { FakeTwilio } from "./twilio-rest";

export interface MediaStreamsClient {
  streamSid: string;
  received: Record<string, any>[];
  closed: Promise<{ code: number }>;
  start(callId: number, agent: string, callSid: string): void;
  /** `frames` × 20 ms of caller audio. */
  speak(frames: number): void;
  /** Echo the marks received so far, as Twilio does once their audio has played. */
  ackMarks(count?: number): void;
  stop(callSid: string): void;
  /** Sends any frame as it is, text or binary (tests of malformed input). */
  sendRaw(frame: string | Buffer): void;
}

export async function connectMediaStream(url: string, options: { twilio?: FakeTwilio; accountSid?: string } = {}): Promise<MediaStreamsClient> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const streamSid = `MZ${Date.now().toString(16)}${Math.random().toString(16).slice(2, 10)}`;
  let sequence = 1;
  let chunk = 1;
  let acked = 0;
  const received: Record<string, any>[] = [];
  ws.on("message", (data) => received.push(JSON.parse(data.toString()) as Record<string, any>));
  let callSidOfStream: string | null = null;
  let closedByUs = false;
  const closed = new Promise<{ code: number }>((resolve) =>
    ws.once("close", (code) => {
      if (callSidOfStream && !closedByUs) options.twilio?.streamClosedByServer(callSidOfStream);
      resolve({ code });
    }),
  );
  const accountSid = options.accountSid ?? options.twilio?.accountSid ?? "AC00000000000000000000000000000001";
  const send = (message: Record<string, unknown>) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(message));
  send({ event: "connected", protocol: "Call", version: "1.0.0" });

  return {
    streamSid,
    received,
    closed,
    start(callId, agent, callSid) {
      callSidOfStream = callSid;
      options.twilio?.attachStream(callSid, {
        hangUp: () => {
          closedByUs = true;
          send({ event: "stop", sequenceNumber: String(sequence++), streamSid, stop: { accountSid, callSid } });
          ws.close(1000);
        },
        isOpen: () => ws.readyState === WebSocket.OPEN || closedByUs,
      });
      send({
        event: "start",
        sequenceNumber: String(sequence++),
        start: {
          accountSid,
          streamSid,
          callSid,
          tracks: ["inbound"],
          customParameters: { call_id: String(callId), agent },
          mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
        },
        streamSid,
      });
    },
    speak(frames) {
      for (let i = 0; i < frames; i++) {
        send({ event: "media", sequenceNumber: String(sequence++), media: { track: "inbound", chunk: String(chunk), timestamp: String(chunk * 20), payload: SILENCE_20MS }, streamSid });
        chunk++;
      }
    },
    ackMarks(count) {
      const marks = received.filter((m) => m.event === "mark");
      const until = count === undefined ? marks.length : Math.min(marks.length, acked + count);
      for (; acked < until; acked++) send({ event: "mark", sequenceNumber: String(sequence++), streamSid, mark: { name: marks[acked]!.mark.name } });
    },
    sendRaw(frame) {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: Buffer.isBuffer(frame) });
    },
    stop(callSid) {
      closedByUs = true;
      send({ event: "stop", sequenceNumber: String(sequence++), streamSid, stop: { accountSid, callSid } });
    },
  };
}
