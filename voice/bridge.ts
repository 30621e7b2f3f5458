/**
 * One call: the Twilio Media Stream ⇄ an OpenAI Realtime session, as a switch
 * over events. μ-law 8 kHz both ways, so audio passes through untouched.
 * - Caller audio that arrives before the Realtime socket is open is buffered, never dropped.
 * - Every model audio delta goes to Twilio followed by a mark; Twilio echoes a
 *   mark once that audio was played, which tells how much the caller heard.
 * - Barge-in: when the caller starts speaking while the agent talks, Twilio's
 *   buffer is cleared and the model's item truncated at what was heard.
 */
import WebSocket from "ws";
import { z } from "zod";
import { leadFactsSchema } from "../src/agents/lead-facts";
import { formatAppointmentDate } from "../src/domain/templates";
import type { Logger } from "../src/logger";
import type { CallResultsService } from "../src/services/call-results-service";
import { parseRealtimeEvent, type RealtimeClientEvent, type RealtimeServerEvent, type RealtimeTool } from "./openai-realtime-protocol";
import { mulawMillis, parseTwilioMessage, type TwilioOutbound } from "./twilio-protocol";

export interface RealtimeSettings {
  url: string;
  model: string;
  voice: string;
  apiKey: string;
  maxCallMinutes: number;
}

export interface BridgeDeps {
  realtime: RealtimeSettings;
  results: CallResultsService;
  log: Logger;
  /** Speaks a last message on the call and hangs up, without the model (it may be gone). */
  sayAndHangUp(callSid: string, message: string): Promise<void>;
  /** The chat's booking: free slots and booking one. */
  booking: {
    offerSlots(leadId: number): Promise<{ start: Date }[]>;
    book(leadId: number, start: Date, actor: string): Promise<{ appointment: { starts_at: Date; meet_link: string | null } }>;
  };
  timeZone: string;
}

export const APOLOGY = "Una disculpa, tuvimos un problema técnico. Te contactaremos por mensaje. ¡Gracias!";

export interface BridgeCall {
  callId: number;
  leadId: number;
  callSid: string;
  streamSid: string;
  instructions: string;
}

const TOOLS: RealtimeTool[] = [
  {
    type: "function",
    name: "guardar_datos",
    description: "Guarda lo que el cliente dijo sobre la propiedad que busca y cómo la pagaría.",
    parameters: z.toJSONSchema(leadFactsSchema) as Record<string, unknown>,
  },
  {
    type: "function",
    name: "ofrecer_horarios",
    description: "Consulta tres horarios libres para una cita con un asesor. Devuelve cada uno con su hora legible y su valor 'inicio'.",
    parameters: { type: "object", properties: {} },
  },
  {
    type: "function",
    name: "agendar_cita",
    description: "Agenda la cita en el horario que el cliente eligió (el valor 'inicio' de ofrecer_horarios).",
    parameters: { type: "object", properties: { inicio: { type: "string", description: "Fecha y hora ISO 8601 del horario elegido" } }, required: ["inicio"] },
  },
  { type: "function", name: "colgar", description: "Termina la llamada después de despedirte.", parameters: { type: "object", properties: {} } },
];

/** A running call, so a shutdown can end it politely. */
export interface BridgeHandle {
  callSid: string;
  finish(reason: string): void;
  /** Resolves once the call's results are stored. */
  finalized(): Promise<unknown>;
}

export function runBridge(twilio: WebSocket, call: BridgeCall, deps: BridgeDeps): BridgeHandle {
  const { log, results } = deps;
  const context = { call_id: call.callId };
  const pendingAudio: string[] = [];
  let realtimeReady = false;
  let finished = false;
  // The agent's item now playing: how much audio was sent and how much the caller has heard.
  let playing: { itemId: string; sentMs: number; heardMs: number } | null = null;
  let markCounter = 0;
  let finalized: Promise<unknown> = Promise.resolve();

  const realtime = new WebSocket(`${deps.realtime.url}?model=${encodeURIComponent(deps.realtime.model)}`, {
    headers: { Authorization: `Bearer ${deps.realtime.apiKey}` },
  });

  const toTwilio = (message: TwilioOutbound) => {
    if (twilio.readyState === WebSocket.OPEN) twilio.send(JSON.stringify(message));
  };
  const toRealtime = (event: RealtimeClientEvent) => {
    if (realtime.readyState === WebSocket.OPEN) realtime.send(JSON.stringify(event));
  };

  function finish(reason: string): void {
    if (finished) return;
    finished = true;
    clearTimeout(maxDuration);
    finalized = results.finalize(call.callId, reason).catch((error) => log.error({ err: error, ...context }, "call finalisation failed"));
    if (realtime.readyState === WebSocket.OPEN || realtime.readyState === WebSocket.CONNECTING) realtime.close();
    if (twilio.readyState === WebSocket.OPEN) twilio.close();
  }

  const maxMs = deps.realtime.maxCallMinutes * 60_000;
  const maxDuration = setTimeout(() => {
    toRealtime({ type: "response.create", response: { instructions: "Se acabó el tiempo de la llamada: despídete amablemente en una frase." } });
    // Time for the goodbye to play (a few seconds, less on very short test limits).
    setTimeout(() => finish("tiempo máximo"), Math.min(8_000, maxMs));
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
        tools: TOOLS,
      },
    });
    realtimeReady = true;
    for (const audio of pendingAudio.splice(0)) toRealtime({ type: "input_audio_buffer.append", audio });
    // The agent speaks first.
    toRealtime({ type: "response.create" });
  });

  realtime.on("message", (data) => {
    const event = parseRealtimeEvent(data.toString());
    if (!event) return log.warn(context, "unreadable Realtime event skipped");
    handleRealtime(event);
  });
  realtime.on("error", (error) => log.warn({ err: error.message, ...context }, "Realtime connection error"));
  realtime.on("close", () => {
    if (finished) return;
    // The model is gone: Twilio itself says a short apology and hangs up; what was said is kept.
    log.warn(context, "Realtime connection lost mid-call");
    deps.sayAndHangUp(call.callSid, APOLOGY).catch((error) => log.error({ err: error, ...context }, "could not end the call with an apology"));
    finish("conexión con el modelo perdida");
  });

  twilio.on("message", (data) => {
    const message = parseTwilioMessage(data.toString());
    if (!message) return log.warn(context, "unreadable Media Streams frame skipped");
    switch (message.event) {
      case "media":
        if (message.media.track && message.media.track !== "inbound") return;
        if (realtimeReady) toRealtime({ type: "input_audio_buffer.append", audio: message.media.payload });
        else pendingAudio.push(message.media.payload);
        return;
      case "mark":
        handleMark(message.mark.name);
        return;
      case "stop":
        finish("el cliente colgó");
        return;
      default:
        return;
    }
  });
  twilio.on("close", () => finish("stream cerrado"));

  function handleMark(name: string): void {
    const [itemId, ms] = name.split("|");
    if (playing && playing.itemId === itemId) playing.heardMs = Math.max(playing.heardMs, Math.min(Number(ms), playing.sentMs));
  }

  function handleRealtime(event: RealtimeServerEvent): void {
    switch (event.type) {
      case "response.output_audio.delta": {
        if (!playing || playing.itemId !== event.item_id) playing = { itemId: event.item_id, sentMs: 0, heardMs: 0 };
        playing.sentMs += mulawMillis(event.delta);
        toTwilio({ event: "media", streamSid: call.streamSid, media: { payload: event.delta } });
        toTwilio({ event: "mark", streamSid: call.streamSid, mark: { name: `${event.item_id}|${playing.sentMs}|${++markCounter}` } });
        return;
      }
      case "input_audio_buffer.speech_started":
        if (playing && playing.heardMs < playing.sentMs) {
          toTwilio({ event: "clear", streamSid: call.streamSid });
          toRealtime({ type: "conversation.item.truncate", item_id: playing.itemId, content_index: 0, audio_end_ms: Math.floor(playing.heardMs) });
        }
        playing = null;
        return;
      case "conversation.item.input_audio_transcription.completed":
        results.recordUtterance(call.callId, "lead", event.transcript);
        return;
      case "response.output_audio_transcript.done":
        results.recordUtterance(call.callId, "agent", event.transcript);
        return;
      case "response.function_call_arguments.done":
        handleFunctionCall(event.name, event.call_id, event.arguments);
        return;
      case "error":
        log.warn({ code: event.error.code, type: event.error.type, ...context }, "Realtime error event");
        return;
      default:
        return;
    }
  }

  function handleFunctionCall(name: string, callId: string, args: string): void {
    if (name === "colgar") {
      // Let the goodbye play, then hang up.
      setTimeout(() => finish("el agente terminó la llamada"), 1_500);
      return;
    }
    void runTool(name, args)
      .catch((error: unknown) => ({ ok: false, error: error instanceof Error ? error.message : "error" }))
      .then((output) => {
        toRealtime({ type: "conversation.item.create", item: { type: "function_call_output", call_id: callId, output: JSON.stringify(output) } });
        toRealtime({ type: "response.create" });
      });
  }

  return { callSid: call.callSid, finish, finalized: () => finalized };

  /** The tools' work; what they return is what the model reads. */
  async function runTool(name: string, args: string): Promise<Record<string, unknown>> {
    const parsed = (() => {
      try {
        return JSON.parse(args || "{}") as Record<string, unknown>;
      } catch {
        return null;
      }
    })();
    if (parsed === null) return { ok: false, error: "argumentos inválidos" };
    switch (name) {
      case "guardar_datos":
        return { ok: true, guardado: results.saveFacts(call.callId, parsed) };
      case "ofrecer_horarios": {
        const slots = await deps.booking.offerSlots(call.leadId);
        return { ok: true, horarios: slots.map((s) => ({ inicio: s.start.toISOString(), legible: formatAppointmentDate(s.start, deps.timeZone) })) };
      }
      case "agendar_cita": {
        const start = new Date(String(parsed.inicio));
        if (Number.isNaN(start.getTime())) return { ok: false, error: "inicio no es una fecha" };
        const booked = await deps.booking.book(call.leadId, start, "voice:call");
        return { ok: true, cita: formatAppointmentDate(booked.appointment.starts_at, deps.timeZone), enlace_por_mensaje: booked.appointment.meet_link !== null };
      }
      default:
        return { ok: false, error: `función desconocida ${name}` };
    }
  }
}
