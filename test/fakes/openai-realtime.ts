/**
 * A local fake of the OpenAI Realtime API over a real WebSocket, speaking the
 * GA event names and following the real server's rules:
 * - the Bearer key and the `model` query parameter are checked;
 * - one active response per conversation: a `response.create` while a
 *   response is in progress is refused with `conversation_already_has_active_response`;
 * - a response goes response.created → output item added → audio deltas →
 *   transcript done → response.done; a tool call is emitted inside a response
 *   (function_call_arguments.done) and its response ends `toolResponseTailMs` later;
 * - the caller speaking (`callerSays`) gives speech_started / stopped /
 *   committed, the user item, the server's own response (server VAD) and, a
 *   little later, the caller's transcription, as the real server orders them;
 * - `conversation.item.truncate` is checked against the item's audio and
 *   answered with `conversation.item.truncated`.
 * It records what the client sent; tests push raw events with `emit` and can
 * `drop` the connection mid-call.
 */
import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";

export interface FakeToolCall {
  name: string;
  arguments: string;
}

export interface FakeRealtime {
  url: string;
  apiKey: string;
  /** Every client event received, in order. */
  received: Record<string, any>[];
  /** Every server event sent, in order. */
  sent: Record<string, any>[];
  appendedAudio(): string[];
  /** Audio deltas per answer and the transcript the agent "says". */
  greetingFrames: number;
  agentLine: string;
  /** How long a response that called a tool stays in progress after the call's arguments. */
  toolResponseTailMs: number;
  /** The caller says something: VAD events, the server's own response (a tool call if given), then the transcription. */
  callerSays(transcript: string, options?: { toolCall?: FakeToolCall; audioStartMs?: number }): void;
  /** Refusals the server sent (error events), e.g. conversation_already_has_active_response. */
  errors(): Record<string, any>[];
  emit(event: Record<string, unknown>): void;
  /** Sends any frame as it is (text or binary), for tests of malformed server events. */
  emitRaw(frame: string | Buffer): void;
  drop(): void;
  connections(): number;
  close(): Promise<void>;
}

export const SILENCE_20MS = Buffer.alloc(160, 0xff).toString("base64");

interface Conversation {
  ws: WebSocket;
  activeResponse: string | null;
  lastItem: string | null;
  /** Audio milliseconds per assistant item, for truncate checks. */
  audioMs: Map<string, number>;
}

export async function startFakeRealtime(apiKey = "sk-realtime-fake"): Promise<FakeRealtime> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  let current: Conversation | null = null;
  let counter = 0;
  const next = (prefix: string) => `${prefix}_${++counter}`;

  const send = (conversation: Conversation, event: Record<string, unknown>) => {
    const withId = { event_id: next("event"), ...event };
    fake.sent.push(withId);
    if (conversation.ws.readyState === conversation.ws.OPEN) conversation.ws.send(JSON.stringify(withId));
  };
  const refuse = (conversation: Conversation, code: string, message: string, clientEventId?: string) =>
    send(conversation, { type: "error", error: { type: "invalid_request_error", code, message, param: null, event_id: clientEventId ?? null } });

  function addItem(conversation: Conversation, item: Record<string, unknown>): void {
    send(conversation, { type: "conversation.item.added", previous_item_id: conversation.lastItem, item });
    conversation.lastItem = item.id as string;
  }

  function startResponse(conversation: Conversation, toolCall?: FakeToolCall): void {
    const responseId = next("resp");
    conversation.activeResponse = responseId;
    send(conversation, { type: "response.created", response: { object: "realtime.response", id: responseId, status: "in_progress", output: [] } });
    const end = () => {
      if (conversation.activeResponse !== responseId) return;
      conversation.activeResponse = null;
      send(conversation, { type: "response.done", response: { object: "realtime.response", id: responseId, status: "completed", output: [] } });
    };
    if (toolCall) {
      const itemId = next("item");
      const callId = next("call");
      const item = { id: itemId, object: "realtime.item", type: "function_call", status: "in_progress", name: toolCall.name, call_id: callId, arguments: "" };
      send(conversation, { type: "response.output_item.added", response_id: responseId, output_index: 0, item });
      addItem(conversation, item);
      send(conversation, { type: "response.function_call_arguments.delta", response_id: responseId, item_id: itemId, output_index: 0, call_id: callId, delta: toolCall.arguments });
      send(conversation, { type: "response.function_call_arguments.done", response_id: responseId, item_id: itemId, output_index: 0, call_id: callId, name: toolCall.name, arguments: toolCall.arguments });
      // The response is still in progress for a moment after the call's arguments, as on the real server.
      setTimeout(() => {
        send(conversation, { type: "response.output_item.done", response_id: responseId, output_index: 0, item: { ...item, status: "completed", arguments: toolCall.arguments } });
        end();
      }, fake.toolResponseTailMs);
      return;
    }
    const itemId = next("item");
    const item = { id: itemId, object: "realtime.item", type: "message", role: "assistant", status: "in_progress", content: [] };
    send(conversation, { type: "response.output_item.added", response_id: responseId, output_index: 0, item });
    addItem(conversation, item);
    for (let i = 0; i < fake.greetingFrames; i++) {
      send(conversation, { type: "response.output_audio.delta", response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, delta: SILENCE_20MS });
    }
    conversation.audioMs.set(itemId, fake.greetingFrames * 20);
    send(conversation, { type: "response.output_audio.done", response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 });
    send(conversation, { type: "response.output_audio_transcript.done", response_id: responseId, item_id: itemId, output_index: 0, content_index: 0, transcript: fake.agentLine });
    send(conversation, { type: "response.output_item.done", response_id: responseId, output_index: 0, item: { ...item, status: "completed" } });
    end();
  }

  function handleClientEvent(conversation: Conversation, event: Record<string, any>): void {
    switch (event.type) {
      case "session.update":
        return send(conversation, { type: "session.updated", session: event.session });
      case "response.create":
        if (conversation.activeResponse) {
          return refuse(
            conversation,
            "conversation_already_has_active_response",
            `Conversation already has an active response in progress: ${conversation.activeResponse}. Wait until the response is finished before creating a new one.`,
            event.event_id,
          );
        }
        return startResponse(conversation);
      case "conversation.item.truncate": {
        const audio = conversation.audioMs.get(event.item_id);
        if (audio === undefined) return refuse(conversation, "item_not_found", `Item with item_id not found: ${event.item_id}`, event.event_id);
        if (event.audio_end_ms > audio) return refuse(conversation, "invalid_value", `Audio content of ${audio}ms is already shorter than ${event.audio_end_ms}ms`, event.event_id);
        return send(conversation, { type: "conversation.item.truncated", item_id: event.item_id, content_index: event.content_index, audio_end_ms: event.audio_end_ms });
      }
      case "conversation.item.create":
        return addItem(conversation, { id: next("item"), object: "realtime.item", ...event.item });
      default:
        return;
    }
  }

  const fake: FakeRealtime = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/realtime`,
    apiKey,
    received: [],
    sent: [],
    appendedAudio: () => fake.received.filter((e) => e.type === "input_audio_buffer.append").map((e) => e.audio as string),
    greetingFrames: 5,
    agentLine: "Hola, te llamo de la inmobiliaria. ¿Es buen momento?",
    toolResponseTailMs: 40,
    callerSays(transcript, options = {}) {
      const conversation = current;
      if (!conversation) throw new Error("no Realtime session");
      const itemId = next("item");
      const startMs = options.audioStartMs ?? 0;
      send(conversation, { type: "input_audio_buffer.speech_started", audio_start_ms: startMs, item_id: itemId });
      send(conversation, { type: "input_audio_buffer.speech_stopped", audio_end_ms: startMs + 1200, item_id: itemId });
      send(conversation, { type: "input_audio_buffer.committed", previous_item_id: conversation.lastItem, item_id: itemId });
      addItem(conversation, { id: itemId, object: "realtime.item", type: "message", role: "user", status: "completed", content: [{ type: "input_audio", transcript: null }] });
      // Server VAD answers on its own; the transcription is asynchronous and lands later.
      if (!conversation.activeResponse) startResponse(conversation, options.toolCall);
      setTimeout(() => send(conversation, { type: "conversation.item.input_audio_transcription.completed", item_id: itemId, content_index: 0, transcript }), 15);
    },
    errors: () => fake.sent.filter((e) => e.type === "error"),
    emit: (event) => {
      if (current?.ws.readyState === current?.ws.OPEN) current?.ws.send(JSON.stringify(event));
    },
    emitRaw: (frame) => {
      if (current?.ws.readyState === current?.ws.OPEN) current?.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    },
    drop: () => current?.ws.terminate(),
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
    const conversation: Conversation = { ws, activeResponse: null, lastItem: null, audioMs: new Map() };
    current = conversation;
    send(conversation, { type: "session.created", session: { id: next("sess"), object: "realtime.session", model: url.searchParams.get("model") } });
    ws.on("message", (data) => {
      let event: Record<string, any>;
      try {
        event = JSON.parse(data.toString()) as Record<string, any>;
      } catch {
        return refuse(conversation, "invalid_json", "The server could not parse the event");
      }
      fake.received.push(event);
      handleClientEvent(conversation, event);
    });
  });
  return fake;
}
