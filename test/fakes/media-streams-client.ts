/**
 * Plays Twilio's side of a Media Stream against our /voice/stream: the exact
 * messages Twilio sends (connected, start with customParameters, media, mark
 * echoes, stop), and records what our server sends back (media, mark, clear).
 */
import WebSocket from "ws";
import { SILENCE_20MS } from "./openai-realtime";

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
  /** Sends any text as a frame (tests of malformed input). */
  sendRaw(text: string): void;
}

export async function connectMediaStream(url: string): Promise<MediaStreamsClient> {
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
  const closed = new Promise<{ code: number }>((resolve) => ws.once("close", (code) => resolve({ code })));
  const send = (message: Record<string, unknown>) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(message));
  send({ event: "connected", protocol: "Call", version: "1.0.0" });

  return {
    streamSid,
    received,
    closed,
    start(callId, agent, callSid) {
      send({
        event: "start",
        sequenceNumber: String(sequence++),
        start: {
          accountSid: "AC00000000000000000000000000000001",
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
    sendRaw(text) {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    stop(callSid) {
      send({ event: "stop", sequenceNumber: String(sequence++), streamSid, stop: { accountSid: "AC00000000000000000000000000000001", callSid } });
    },
  };
}
