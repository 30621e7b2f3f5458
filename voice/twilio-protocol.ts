/**
 * Twilio Media Streams messages (https://www.twilio.com/docs/voice/media-streams/websocket-messages),
 * typed once: each inbound message is a zod schema and its TypeScript type is
 * inferred from it. Objects are loose (Twilio may add fields); the fields we
 * use are checked. Audio is base64 μ-law 8 kHz mono: 160 bytes = 20 ms.
 */
import { z } from "zod";
import { base64Audio, parseFrame, type ParsedFrame } from "./parse-frame";

const sid = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9a-zA-Z]{1,64}$`));
const sequenceNumber = z.string().regex(/^\d{1,12}$/);
/** Twilio sends 20 ms (216 base64 characters); a few seconds is the most any sane frame holds. */
const audioPayload = base64Audio(64_000);

const connected = z.looseObject({ event: z.literal("connected"), protocol: z.string().max(64), version: z.string().max(32) });

const start = z.looseObject({
  event: z.literal("start"),
  sequenceNumber,
  streamSid: sid("MZ"),
  start: z.looseObject({
    accountSid: sid("AC"),
    streamSid: sid("MZ"),
    callSid: sid("CA"),
    tracks: z.array(z.enum(["inbound", "outbound"])).min(1).max(2),
    customParameters: z.record(z.string().max(64), z.string().max(500)).default({}),
    mediaFormat: z.looseObject({ encoding: z.string().max(64), sampleRate: z.number().int().positive(), channels: z.number().int().positive() }),
  }),
});

const media = z.looseObject({
  event: z.literal("media"),
  sequenceNumber,
  streamSid: sid("MZ"),
  media: z.looseObject({
    track: z.enum(["inbound", "outbound"]),
    chunk: z.string().regex(/^\d{1,12}$/),
    timestamp: z.string().regex(/^\d{1,15}$/),
    payload: audioPayload,
  }),
});

const mark = z.looseObject({ event: z.literal("mark"), sequenceNumber, streamSid: sid("MZ"), mark: z.looseObject({ name: z.string().max(200) }) });

const stop = z.looseObject({ event: z.literal("stop"), sequenceNumber, streamSid: sid("MZ"), stop: z.looseObject({ accountSid: sid("AC"), callSid: sid("CA") }) });

const dtmf = z.looseObject({
  event: z.literal("dtmf"),
  sequenceNumber,
  streamSid: sid("MZ"),
  dtmf: z.looseObject({ track: z.string().max(32), digit: z.string().regex(/^[0-9*#A-D]$/) }),
});

export const twilioInboundSchema = z.discriminatedUnion("event", [connected, start, media, mark, stop, dtmf]);

export type TwilioInbound = z.infer<typeof twilioInboundSchema>;
export type TwilioStart = z.infer<typeof start>;

const HANDLED = new Set(["connected", "start", "media", "mark", "stop", "dtmf"]);

export type TwilioOutbound =
  | { event: "media"; streamSid: string; media: { payload: string } }
  | { event: "mark"; streamSid: string; mark: { name: string } }
  | { event: "clear"; streamSid: string };

/** Milliseconds of audio in a base64 μ-law 8 kHz payload. */
export function mulawMillis(base64: string): number {
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  return ((base64.length * 3) / 4 - padding) / 8;
}

/** One Media Streams frame: a message, an event kind we do not handle, or something invalid. */
export function parseTwilioMessage(raw: string): ParsedFrame<TwilioInbound> {
  return parseFrame(raw, "event", HANDLED, twilioInboundSchema);
}
