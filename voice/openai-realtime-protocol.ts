/**
 * The OpenAI Realtime API events the bridge sends and handles (GA names,
 * https://platform.openai.com/docs/api-reference/realtime), typed once. Server
 * events are zod schemas (loose objects: the API adds fields) with their
 * TypeScript types inferred; client events are built by us and only typed.
 */
import { z } from "zod";
import { base64Audio, parseFrame, type ParsedFrame } from "./parse-frame";

export interface RealtimeTool {
  type: "function";
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type RealtimeClientEvent =
  | {
      type: "session.update";
      session: {
        type: "realtime";
        model: string;
        instructions: string;
        output_modalities: ["audio"];
        audio: {
          input: { format: { type: "audio/pcmu" }; turn_detection: { type: "server_vad" }; transcription: { model: string; language: string } };
          output: { format: { type: "audio/pcmu" }; voice: string };
        };
        tools: RealtimeTool[];
      };
    }
  | { type: "input_audio_buffer.append"; audio: string }
  | { type: "response.create"; response?: { instructions?: string } }
  | { type: "conversation.item.truncate"; item_id: string; content_index: number; audio_end_ms: number }
  | { type: "conversation.item.create"; item: { type: "function_call_output"; call_id: string; output: string } };

const id = z.string().min(1).max(200);
const text = z.string().max(100_000);

const sessionEvent = z.looseObject({ type: z.enum(["session.created", "session.updated"]), session: z.looseObject({}) });
const responseCreated = z.looseObject({ type: z.literal("response.created"), response: z.looseObject({ id }) });
const responseDone = z.looseObject({
  type: z.literal("response.done"),
  response: z.looseObject({ id, status: z.enum(["completed", "cancelled", "failed", "incomplete", "in_progress"]) }),
});
const audioDelta = z.looseObject({
  type: z.literal("response.output_audio.delta"),
  response_id: id,
  item_id: id,
  output_index: z.number().int().min(0),
  content_index: z.number().int().min(0),
  delta: base64Audio(1_000_000),
});
const agentTranscriptDone = z.looseObject({ type: z.literal("response.output_audio_transcript.done"), item_id: id, transcript: text });
const callerTranscriptDone = z.looseObject({ type: z.literal("conversation.item.input_audio_transcription.completed"), item_id: id, transcript: text });
const itemAdded = z.looseObject({
  type: z.literal("conversation.item.added"),
  previous_item_id: id.nullish(),
  item: z.looseObject({ id, type: z.string().max(64), role: z.string().max(32).optional() }),
});
const speechStarted = z.looseObject({ type: z.literal("input_audio_buffer.speech_started"), audio_start_ms: z.number().int().min(0), item_id: id });
const functionCallDone = z.looseObject({
  type: z.literal("response.function_call_arguments.done"),
  response_id: id.optional(),
  call_id: id,
  name: z.string().min(1).max(64),
  arguments: z.string().max(1_000_000),
});
const errorEvent = z.looseObject({
  type: z.literal("error"),
  error: z.looseObject({ type: z.string().max(200), code: z.string().max(200).nullish(), message: z.string().max(10_000), event_id: z.string().max(200).nullish() }),
});

export const realtimeServerEventSchema = z.discriminatedUnion("type", [
  sessionEvent,
  responseCreated,
  responseDone,
  audioDelta,
  agentTranscriptDone,
  callerTranscriptDone,
  itemAdded,
  speechStarted,
  functionCallDone,
  errorEvent,
]);

export type RealtimeServerEvent = z.infer<typeof realtimeServerEventSchema>;

const HANDLED = new Set<string>([
  "session.created",
  "session.updated",
  "response.created",
  "response.done",
  "response.output_audio.delta",
  "response.output_audio_transcript.done",
  "conversation.item.input_audio_transcription.completed",
  "conversation.item.added",
  "input_audio_buffer.speech_started",
  "response.function_call_arguments.done",
  "error",
]);

/** One Realtime server event: handled, of a kind we ignore, or invalid. */
export function parseRealtimeEvent(raw: string): ParsedFrame<RealtimeServerEvent> {
  return parseFrame(raw, "type", HANDLED, realtimeServerEventSchema);
}
