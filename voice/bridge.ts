/**
 * One call: the Twilio Media Stream ⇄ an OpenAI Realtime session, as a switch
 * over events, each handled behind the dispatch guard. μ-law 8 kHz both ways,
 * so audio passes through untouched.
 * - Caller audio that arrives before the Realtime socket is open is buffered (up to a bound).
 * - Every model audio delta goes to Twilio followed by a mark; Twilio echoes a
 *   mark once that audio was played, which tells how much the caller heard.
 * - Barge-in: when the caller starts speaking while the agent talks, Twilio's
 *   buffer is cleared, the model's item truncated at what was heard, and the
 *   stored agent line cut to the same point.
 * - Responses go through the response gate: one active response at a time, as
 *   the real server requires (a tool's follow-up waits for the response that
 *   called it to finish).
 */
import type { Duplex } from "node:stream";
import WebSocket from "ws";
import { formatAppointmentDate } from "../src/domain/templates";
import { DomainError } from "../src/errors";
import type { Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
// Types only: the live-audio process runs the bridge without loading the database layer.
import type { CallResultsService } from "../src/services/call-results-service";
import { createCallTranscript } from "./call-transcript";
import { parseRealtimeEvent, type RealtimeClientEvent, type RealtimeServerEvent } from "./openai-realtime-protocol";
import { createResponseGate, type ResponseRequest } from "./response-gate";
import { mulawMillis, type TwilioInbound, type TwilioOutbound } from "./twilio-protocol";
import { parseVoiceToolCall, VOICE_TOOLS, type VoiceToolCall } from "./voice-tools";

export interface RealtimeSettings {
  url: string;
  model: string;
  voice: string;
  apiKey: string;
  maxCallMinutes: number;
}

/** What a call stores as it goes and at its end (CallResultsService, or an RPC to it from the live-audio process). */
export interface CallResultsPort extends Pick<CallResultsService, "recordUtterance" | "replaceUtterance" | "saveFacts"> {
  /** Resolves once the call's results are stored; what it resolves with is not used. */
  finalize(callId: number, endReason: string): Promise<unknown>;
}

export interface BridgeDeps {
  realtime: RealtimeSettings;
  results: CallResultsPort;
  log: Logger;
  guard: DispatchGuard;
  /** Speaks a last message on the call and hangs up, without the model (it may be gone). Resolves once Twilio accepted it. */
  sayAndHangUp(callSid: string, message: string): Promise<void>;
  /** The chat's booking: free slots and booking one (by the voice agent, as the handOff and optOut below). */
  booking: {
    offerSlots(leadId: number): Promise<{ start: Date }[]>;
    book(leadId: number, start: Date): Promise<{ appointment: { starts_at: Date; meet_link: string | null } }>;
  };
  /** What the lead asks of the agency on a call, carried out as in chat. */
  leadRequests: {
    handOff(leadId: number): Promise<{ already: boolean }>;
    optOut(leadId: number): Promise<void>;
  };
  timeZone: string;
}

export const APOLOGY = "Una disculpa, tuvimos un problema técnico. Te contactaremos por mensaje. ¡Gracias!";
const GOODBYE = "Se acabó el tiempo de la llamada: despídete amablemente en una frase.";
const MODEL_LOST = "conexión con el modelo perdida";
/** Caller audio kept while the model's socket opens: beyond this the oldest is dropped. */
const MAX_PENDING_AUDIO_MS = 15_000;
/** How long Twilio may take to accept the apology before we let the stream go anyway. */
const APOLOGY_TIMEOUT_MS = 10_000;

export interface BridgeCall {
  callId: number;
  leadId: number;
  callSid: string;
  streamSid: string;
  instructions: string;
}

/** Twilio's Media Stream of one call: its WebSocket, and the socket under it. */
export interface TwilioStream {
  ws: WebSocket;
  socket: Duplex;
}

/** A running call: the stream server feeds it Twilio's messages; a shutdown can end it politely. */
export interface BridgeHandle {
  callSid: string;
  handleTwilio(message: TwilioInbound): void;
  finish(reason: string): void;
  /** Resolves once the call's results are stored. */
  finalized(): Promise<unknown>;
}

export function runBridge(stream: TwilioStream, call: BridgeCall, deps: BridgeDeps): BridgeHandle {
  const { log, results, guard } = deps;
  const twilio = stream.ws;
  const context = { call_id: call.callId };
  const pendingAudio: string[] = [];
  let pendingAudioMs = 0;
  let realtimeReady = false;
  let finished = false;
  /** Set when the end is decided (model lost, time up) before the stream actually closes. */
  let endReason: string | null = null;
  // The agent's item now playing: its response, how much audio was sent and how much the caller has heard.
  let playing: { itemId: string; responseId: string; sentMs: number; heardMs: number } | null = null;
  let markCounter = 0;
  let finalized: Promise<unknown> = Promise.resolve();
  let goodbye: { awaitingResponse: boolean; responseId: string | null } | null = null;
  let hardStop: NodeJS.Timeout | undefined;

  const realtime = new WebSocket(`${deps.realtime.url}?model=${encodeURIComponent(deps.realtime.model)}`, {
    headers: { Authorization: `Bearer ${deps.realtime.apiKey}` },
    // Audio deltas are a few KB; a frame beyond this is no event we could use.
    maxPayload: 16 * 1024 * 1024,
    // Compressing base64 audio gains little and would put zlib (its thread pool) on every frame's path.
    perMessageDeflate: false,
  });

  const toTwilio = (message: TwilioOutbound) => {
    if (twilio.readyState === WebSocket.OPEN) twilio.send(JSON.stringify(message));
  };
  const toRealtime = (event: RealtimeClientEvent) => {
    if (realtime.readyState === WebSocket.OPEN) realtime.send(JSON.stringify(event));
  };
  // Transcript lines are stored off the audio path, one after another in the order they came
  // (a replacement after the line it replaces); the call is finalised after the last one.
  let transcriptWrites: Promise<void> = Promise.resolve();
  const storeTranscript = (write: () => Promise<unknown> | unknown) => {
    transcriptWrites = transcriptWrites
      .then(async () => {
        await write();
      })
      .catch((error: unknown) => guard.failed("realtime", context, error));
  };
  const transcript = createCallTranscript({
    record: (line) => storeTranscript(() => results.recordUtterance(call.callId, line)),
    replace: (itemId, text) => storeTranscript(() => results.replaceUtterance(call.callId, itemId, text)),
  });
  const gate = createResponseGate((request: ResponseRequest) => {
    if (goodbye && request.instructions === GOODBYE) goodbye.awaitingResponse = true;
    toRealtime(request.instructions ? { type: "response.create", response: { instructions: request.instructions } } : { type: "response.create" });
  });

  function finish(reason: string): void {
    if (finished) return;
    finished = true;
    clearTimeout(maxDuration);
    clearTimeout(hardStop);
    const why = endReason ?? reason;
    finalized = transcriptWrites
      .then(() => results.finalize(call.callId, why))
      .catch((error) => log.error({ err: error, ...context }, "call finalisation failed"));
    if (realtime.readyState === WebSocket.OPEN || realtime.readyState === WebSocket.CONNECTING) realtime.close();
    if (twilio.readyState === WebSocket.OPEN) twilio.close();
  }

  /** Finish once the audio already sent has played (Twilio echoes marks), or at the hard stop. */
  function finishAfterPlayback(reason: string): void {
    const unplayed = playing ? Math.max(0, playing.sentMs - playing.heardMs) : 0;
    setTimeout(() => finish(reason), Math.min(unplayed + 300, 10_000));
  }

  const maxMs = deps.realtime.maxCallMinutes * 60_000;
  const maxDuration = setTimeout(() => {
    endReason = "tiempo máximo";
    goodbye = { awaitingResponse: false, responseId: null };
    gate.request({ instructions: GOODBYE });
    // However the goodbye goes, the call ends (a few seconds, less on very short test limits).
    hardStop = setTimeout(() => finish("tiempo máximo"), Math.min(15_000, maxMs));
  }, maxMs);

  realtime.on("open", () => {
    toRealtime({
      type: "session.update",
      session: {
        type: "realtime",
        model: deps.realtime.model,
        instructions: call.instructions,
        output_modalities: ["audio"],
        audio: {
          input: { format: { type: "audio/pcmu" }, turn_detection: { type: "server_vad" }, transcription: { model: "gpt-4o-transcribe", language: "es" } },
          output: { format: { type: "audio/pcmu" }, voice: deps.realtime.voice },
        },
        tools: VOICE_TOOLS,
      },
    });
    realtimeReady = true;
    for (const audio of pendingAudio.splice(0)) toRealtime({ type: "input_audio_buffer.append", audio });
    // The agent speaks first.
    gate.request();
  });

  realtime.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
    guard.run("realtime", context, () => {
      // The Realtime API sends JSON text frames only.
      if (isBinary) return log.warn(context, "binary Realtime frame skipped");
      const parsed = parseRealtimeEvent(data.toString());
      if (parsed.kind === "invalid") return log.warn({ ...context, type: parsed.name, problems: parsed.problems }, "invalid Realtime event skipped");
      if (parsed.kind === "message") handleRealtime(parsed.message);
    });
  });
  realtime.on("error", (error) => log.warn({ err: error.message, ...context }, "Realtime connection error"));
  realtime.on("close", () => {
    if (finished || endReason === MODEL_LOST) return;
    // The model is gone: Twilio itself says a short apology and hangs up; what was said is kept.
    // Twilio plays a live update only while the call is in progress, and our closing the stream
    // ends the call: the update must be accepted before we let the stream go.
    endReason = MODEL_LOST;
    log.warn(context, "Realtime connection lost mid-call");
    void withTimeout(deps.sayAndHangUp(call.callSid, APOLOGY), APOLOGY_TIMEOUT_MS)
      .catch((error) => log.error({ err: error, ...context }, "could not end the call with an apology"))
      .finally(() => finish(MODEL_LOST));
  });

  twilio.on("close", () => finish("stream cerrado"));

  function handleTwilio(message: TwilioInbound): void {
    switch (message.event) {
      case "media":
        return handleCallerAudio(message.media.track, message.media.payload);
      case "mark":
        return handleMark(message.mark.name);
      case "stop":
        return finish("el cliente colgó");
      default:
        return;
    }
  }

  function handleCallerAudio(track: string, payload: string): void {
    if (track !== "inbound") return;
    const ms = mulawMillis(payload);
    transcript.callerAudio(ms);
    if (realtimeReady) return toRealtime({ type: "input_audio_buffer.append", audio: payload });
    pendingAudio.push(payload);
    pendingAudioMs += ms;
    while (pendingAudioMs > MAX_PENDING_AUDIO_MS && pendingAudio.length > 1) pendingAudioMs -= mulawMillis(pendingAudio.shift()!);
  }

  function handleMark(name: string): void {
    const [itemId, ms] = name.split("|");
    const heard = Number(ms);
    if (playing && playing.itemId === itemId && Number.isFinite(heard)) playing.heardMs = Math.max(playing.heardMs, Math.min(heard, playing.sentMs));
  }

  function handleRealtime(event: RealtimeServerEvent): void {
    switch (event.type) {
      case "response.created":
        if (goodbye?.awaitingResponse) goodbye = { awaitingResponse: false, responseId: event.response.id };
        return gate.created(event.response.id);
      case "response.done":
        gate.done(event.response.id);
        if (goodbye?.responseId === event.response.id) finishAfterPlayback("tiempo máximo");
        return;
      case "response.output_audio.delta":
        return handleAgentAudio(event.response_id, event.item_id, event.delta);
      case "input_audio_buffer.speech_started":
        transcript.callerSpeechStarted(event.item_id, event.audio_start_ms);
        return handleBargeIn();
      case "conversation.item.added":
        return transcript.itemAdded(event.item.id);
      case "conversation.item.input_audio_transcription.completed":
        return transcript.callerSaid(event.item_id, event.transcript);
      case "response.output_audio_transcript.done":
        return transcript.agentSaid(event.item_id, event.transcript);
      case "response.function_call_arguments.done":
        return handleToolCall(event.name, event.call_id, event.arguments);
      case "error":
        if (event.error.code === "conversation_already_has_active_response") gate.refused();
        log.warn({ code: event.error.code, type: event.error.type, ...context }, "Realtime error event");
        return;
      case "session.created":
      case "session.updated":
        return;
    }
  }

  function handleAgentAudio(responseId: string, itemId: string, delta: string): void {
    // Audio of an item the caller already cut off is never played.
    if (transcript.isTruncated(itemId)) return;
    const ms = mulawMillis(delta);
    transcript.agentAudio(itemId, ms);
    if (!playing || playing.itemId !== itemId) playing = { itemId, responseId, sentMs: 0, heardMs: 0 };
    playing.sentMs += ms;
    const mark = `${itemId}|${playing.sentMs}|${++markCounter}`;
    // The delta and its mark leave in one socket write (one syscall, one segment) instead of one each:
    // socket writes are most of what forwarding audio costs the audio process.
    writeTogether(stream.socket, () => {
      toTwilio({ event: "media", streamSid: call.streamSid, media: { payload: delta } });
      toTwilio({ event: "mark", streamSid: call.streamSid, mark: { name: mark } });
    });
  }

  function handleBargeIn(): void {
    // Cut when audio is still queued at Twilio, or when the response is still being generated
    // (the server stops it; whatever else it produced for this item was never heard).
    if (playing && (playing.heardMs < playing.sentMs || gate.activeResponse() === playing.responseId)) {
      const heardMs = Math.floor(playing.heardMs);
      toTwilio({ event: "clear", streamSid: call.streamSid });
      toRealtime({ type: "conversation.item.truncate", item_id: playing.itemId, content_index: 0, audio_end_ms: heardMs });
      transcript.truncated(playing.itemId, heardMs);
    }
    playing = null;
  }

  function handleToolCall(name: string, callId: string, args: string): void {
    const parsed = parseVoiceToolCall(name, args);
    if (!parsed.ok) {
      // The model hears what was wrong and can try again; nothing was done.
      log.warn({ ...context, tool: name.slice(0, 64), problem: parsed.problem }, "voice tool called with invalid arguments");
      sendToolOutput(callId, { ok: false, error: parsed.problem });
      return gate.request();
    }
    if (parsed.call.name === "colgar") {
      // Let the goodbye play, then hang up.
      setTimeout(() => finish("el agente terminó la llamada"), 1_500);
      return;
    }
    gate.toolStarted();
    void runTool(parsed.call)
      .catch((error: unknown) => {
        if (!(error instanceof DomainError)) guard.failed("voice_tool", { ...context, tool: parsed.call.name }, error);
        return { ok: false, error: error instanceof DomainError ? error.message : "no se pudo completar, intenta de nuevo" };
      })
      .then((output) =>
        guard.run("voice_tool", context, () => {
          sendToolOutput(callId, output);
          gate.request();
          gate.toolFinished();
        }),
      );
  }

  function sendToolOutput(callId: string, output: Record<string, unknown>): void {
    toRealtime({ type: "conversation.item.create", item: { type: "function_call_output", call_id: callId, output: JSON.stringify(output) } });
  }

  /** The tools' work; what they return is what the model reads. */
  async function runTool(toolCall: Exclude<VoiceToolCall, { name: "colgar" }>): Promise<Record<string, unknown>> {
    switch (toolCall.name) {
      case "guardar_datos":
        return { ok: true, guardado: await results.saveFacts(call.callId, toolCall.args) };
      case "ofrecer_horarios": {
        const slots = await deps.booking.offerSlots(call.leadId);
        return { ok: true, horarios: slots.map((s) => ({ inicio: s.start.toISOString(), legible: formatAppointmentDate(s.start, deps.timeZone) })) };
      }
      case "agendar_cita": {
        const booked = await deps.booking.book(call.leadId, new Date(toolCall.args.inicio));
        return { ok: true, cita: formatAppointmentDate(booked.appointment.starts_at, deps.timeZone), enlace_por_mensaje: booked.appointment.meet_link !== null };
      }
      case "pedir_asesor": {
        const { already } = await deps.leadRequests.handOff(call.leadId);
        return { ok: true, mensaje: already ? "Ya se avisó a un asesor; se pondrá en contacto pronto." : "Se avisó a un asesor; se pondrá en contacto pronto. Díselo al cliente." };
      }
      case "dar_de_baja":
        await deps.leadRequests.optOut(call.leadId);
        return { ok: true, mensaje: "El cliente quedó dado de baja: no recibirá más mensajes ni llamadas. Despídete y usa colgar." };
    }
  }

  return { callSid: call.callSid, handleTwilio, finish, finalized: () => finalized };
}

/** Whatever `write` sends on `socket` is held and leaves as one write when it returns. */
function writeTogether(socket: Duplex, write: () => void): void {
  socket.cork();
  try {
    write();
  } finally {
    socket.uncork();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
