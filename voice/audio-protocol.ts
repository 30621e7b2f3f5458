/**
 * The IPC between the product process (voice/audio-host.ts) and its
 * live-audio process (voice/audio-process.ts). Each side parses what the
 * other sends with these schemas; a message that does not fit is logged (its
 * issue paths, never its values: they carry the Realtime key, transcripts,
 * phone numbers) and skipped. The channel uses Node's "advanced"
 * serialization, so Dates arrive as Dates.
 *
 * Product → audio: `init` (settings), `upgrade` (with the socket as the
 * message's handle), `result` (the answer to an RPC), `shutdown`.
 * Audio → product: `ready`, `call` (an RPC), `failure` (a guarded handler
 * failed: the product logs and counts it).
 */
import { z } from "zod";
import { MAX_ROW_ID } from "../src/domain/row-id";
import type { Surface } from "../src/observability/dispatch-guard";

const rowId = z.number().int().positive().max(MAX_ROW_ID);
const rpcId = z.number().int().nonnegative();

/** Everything the audio process is told at start: no database, no Twilio credentials. */
export const audioSettingsSchema = z.object({
  realtime: z.object({ url: z.string(), model: z.string(), voice: z.string(), apiKey: z.string(), maxCallMinutes: z.number().positive() }),
  accountSid: z.string(),
  streamPath: z.string().optional(),
  timeZone: z.string(),
  /** The scheduling priority the audio process asks for (VOICE_AUDIO_NICE). */
  nice: z.number().int().min(-20).max(19),
  /** The real-time priority it asks for first (VOICE_AUDIO_REALTIME_PRIORITY); 0: none, the nice alone. */
  realtimePriority: z.number().int().min(0).max(99),
  limits: z
    .object({
      maxFrameBytes: z.number().int().positive(),
      startTimeoutMs: z.number().positive(),
      framesPerSecond: z.number().positive(),
      burstFrames: z.number().positive(),
      maxPendingConnections: z.number().int().nonnegative(),
    })
    .partial(),
});
export type AudioSettings = z.infer<typeof audioSettingsSchema>;

const utterance = z.object({
  speaker: z.enum(["agent", "lead"]),
  text: z.string(),
  itemId: z.string().optional(),
  position: z.number().int().optional(),
  offsetMs: z.number().optional(),
});
const none = z.undefined();

/**
 * What the audio process may ask of the product: each method's arguments (checked by the
 * product) and its answer (checked by the audio process), narrowed to what the bridge reads.
 */
export const AUDIO_RPC = {
  openCall: { args: z.tuple([rowId, z.string()]), result: z.object({ callId: rowId, leadId: rowId, instructions: z.string() }).nullable() },
  recordUtterance: { args: z.tuple([rowId, utterance]), result: none },
  replaceUtterance: { args: z.tuple([rowId, z.string(), z.string().nullable()]), result: none },
  saveFacts: { args: z.tuple([rowId, z.unknown()]), result: z.record(z.string(), z.unknown()) },
  finalize: { args: z.tuple([rowId, z.string()]), result: none },
  sayAndHangUp: { args: z.tuple([z.string(), z.string()]), result: none },
  offerSlots: { args: z.tuple([rowId]), result: z.array(z.object({ start: z.date() })) },
  // Any Date, as in-process: the booking service answers an invalid one with its own message.
  book: { args: z.tuple([rowId, z.instanceof(Date)]), result: z.object({ appointment: z.object({ starts_at: z.date(), meet_link: z.string().nullable() }) }) },
  handOff: { args: z.tuple([rowId]), result: z.object({ already: z.boolean() }) },
  optOut: { args: z.tuple([rowId]), result: none },
} as const;

export type AudioRpcMethod = keyof typeof AUDIO_RPC;
export type AudioRpcArgs<M extends AudioRpcMethod> = z.infer<(typeof AUDIO_RPC)[M]["args"]>;
export type AudioRpcResult<M extends AudioRpcMethod> = z.infer<(typeof AUDIO_RPC)[M]["result"]>;
const methods = Object.keys(AUDIO_RPC) as [AudioRpcMethod, ...AudioRpcMethod[]];

/** A failed RPC: its message, and whether it was a DomainError (its message is for the model to say). */
export const remoteErrorSchema = z.object({ message: z.string(), domain: z.boolean(), code: z.string().optional() });
export type RemoteError = z.infer<typeof remoteErrorSchema>;

const headerValue = z.union([z.string(), z.array(z.string()), z.undefined()]);

export const toAudioSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("init"), settings: audioSettingsSchema }),
  z.object({
    kind: z.literal("upgrade"),
    url: z.string(),
    method: z.string(),
    headers: z.record(z.string(), headerValue),
    /** Bytes the HTTP server read past the request's headers, base64. */
    head: z.string(),
  }),
  z.discriminatedUnion("ok", [
    z.object({ kind: z.literal("result"), id: rpcId, ok: z.literal(true), value: z.unknown().optional() }),
    z.object({ kind: z.literal("result"), id: rpcId, ok: z.literal(false), error: remoteErrorSchema }),
  ]),
  z.object({ kind: z.literal("shutdown") }),
]);
export type ToAudio = z.infer<typeof toAudioSchema>;

/** The surfaces the product counts failures on (src/observability/dispatch-guard.ts). */
const SURFACES = [
  "media_stream",
  "realtime",
  "voice_tool",
  "twilio_webhook",
  "telegram_update",
  "telegram_webhook",
  "whatsapp_webhook",
  "scheduled_job",
  "unhandled_rejection",
] as const satisfies readonly Surface[];

export const fromAudioSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ready") }),
  z.object({ kind: z.literal("call"), id: rpcId, method: z.enum(methods), args: z.array(z.unknown()) }),
  z.object({
    kind: z.literal("failure"),
    surface: z.enum(SURFACES),
    context: z.record(z.string(), z.unknown()),
    error: z.object({ name: z.string(), message: z.string(), stack: z.string().optional() }),
  }),
]);
export type FromAudio = z.infer<typeof fromAudioSchema>;
