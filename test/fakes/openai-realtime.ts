/**
 * A local fake of the OpenAI Realtime API over a real WebSocket, speaking the
 * GA event names. It checks the Bearer key and the `model` query parameter,
 * answers session.update with session.updated, answers response.create with
 * `greetingFrames` audio deltas (20 ms of μ-law each), the transcript and
 * response.done, and records what the client sent (appended audio, truncates,
 * function outputs). Tests push server events with `emit` and can `drop` the
 * connection mid-call.
 */
import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";

export interface FakeRealtime {
  url: string;
  apiKey: string;
  /** Every client event received, in order. */
  received: Record<string, any>[];
  appendedAudio(): string[];
  /** Audio deltas per answer and the transcript the agent "says". */
  greetingFrames: number;
  agentLine: string;
  emit(event: Record<string, unknown>): void;
  drop(): void;
  connections(): number;
  close(): Promise<void>;
}

export const SILENCE_20MS = Buffer.alloc(160, 0xff).toString("base64");

export async function startFakeRealtime(apiKey = "sk-realtime-fake"): Promise<FakeRealtime> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  let socket: WebSocket | null = null;
  let responseCount = 0;
  const fake: FakeRealtime = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/realtime`,
    apiKey,
    received: [],
    appendedAudio: () => fake.received.filter((e) => e.type === "input_audio_buffer.append").map((e) => e.audio as string),
    greetingFrames: 5,
    agentLine: "Hola, te llamo de la inmobiliaria. ¿Es buen momento?",
    emit: (event) => socket?.send(JSON.stringify(event)),
    drop: () => socket?.terminate(),
    connections: () => wss.clients.size,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };

  wss.on("connection", (ws, request) => {
    const url = new URL(request.url ?? "/", "http://fake");
    if (request.headers.authorization !== `Bearer ${apiKey}` || !url.searchParams.get("model")) {
      ws.send(JSON.stringify({ type: "error", error: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided" } }));
      return ws.close(1008);
    }
    socket = ws;
    ws.send(JSON.stringify({ type: "session.created", event_id: "evt_0", session: { id: "sess_fake", model: url.searchParams.get("model") } }));
    ws.on("message", (data) => {
      const event = JSON.parse(data.toString()) as Record<string, any>;
      fake.received.push(event);
      if (event.type === "session.update") ws.send(JSON.stringify({ type: "session.updated", event_id: "evt_s", session: event.session }));
      if (event.type === "response.create") {
        const responseId = `resp_${++responseCount}`;
        const itemId = `item_${responseCount}`;
        for (let i = 0; i < fake.greetingFrames; i++) {
          ws.send(JSON.stringify({ type: "response.output_audio.delta", event_id: `evt_d${i}`, response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, delta: SILENCE_20MS }));
        }
        ws.send(JSON.stringify({ type: "response.output_audio_transcript.done", event_id: "evt_t", response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, transcript: fake.agentLine }));
        ws.send(JSON.stringify({ type: "response.done", event_id: "evt_r", response: { id: responseId, status: "completed" } }));
      }
    });
  });
  return fake;
}
