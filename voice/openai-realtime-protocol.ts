/**
 * The OpenAI Realtime API events the bridge sends and handles (GA names,
 * https://platform.openai.com/docs/api-reference/realtime), typed once.
 */

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

export type RealtimeServerEvent =
  | { type: "session.created" | "session.updated"; session: Record<string, unknown> }
  | { type: "response.output_audio.delta"; response_id: string; item_id: string; output_index: number; content_index: number; delta: string }
  | { type: "response.output_audio_transcript.done"; item_id: string; transcript: string }
  | { type: "conversation.item.input_audio_transcription.completed"; item_id: string; transcript: string }
  | { type: "input_audio_buffer.speech_started"; audio_start_ms: number; item_id: string }
  | { type: "response.function_call_arguments.done"; call_id: string; name: string; arguments: string }
  | { type: "response.done"; response: { id: string; status: string } }
  | { type: "error"; error: { type: string; code?: string; message: string } };

export function parseRealtimeEvent(raw: string): RealtimeServerEvent | null {
  try {
    const event = JSON.parse(raw) as { type?: unknown };
    return typeof event.type === "string" ? (event as RealtimeServerEvent) : null;
  } catch {
    return null;
  }
}
