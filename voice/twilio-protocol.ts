/**
 * Twilio Media Streams messages (https://www.twilio.com/docs/voice/media-streams/websocket-messages),
 * typed once. Audio is base64 μ-law 8 kHz mono: 160 bytes = 20 ms.
 */

export interface TwilioConnected {
  event: "connected";
  protocol: string;
  version: string;
}

export interface TwilioStart {
  event: "start";
  sequenceNumber: string;
  streamSid: string;
  start: {
    accountSid: string;
    streamSid: string;
    callSid: string;
    tracks: string[];
    customParameters: Record<string, string>;
    mediaFormat: { encoding: string; sampleRate: number; channels: number };
  };
}

export interface TwilioMedia {
  event: "media";
  sequenceNumber: string;
  streamSid: string;
  media: { track: string; chunk: string; timestamp: string; payload: string };
}

export interface TwilioMark {
  event: "mark";
  sequenceNumber: string;
  streamSid: string;
  mark: { name: string };
}

export interface TwilioStop {
  event: "stop";
  sequenceNumber: string;
  streamSid: string;
  stop: { accountSid: string; callSid: string };
}

export interface TwilioDtmf {
  event: "dtmf";
  streamSid: string;
  sequenceNumber: string;
  dtmf: { track: string; digit: string };
}

export type TwilioInbound = TwilioConnected | TwilioStart | TwilioMedia | TwilioMark | TwilioStop | TwilioDtmf;

export type TwilioOutbound =
  | { event: "media"; streamSid: string; media: { payload: string } }
  | { event: "mark"; streamSid: string; mark: { name: string } }
  | { event: "clear"; streamSid: string };

/** Milliseconds of audio in a base64 μ-law 8 kHz payload. */
export function mulawMillis(base64: string): number {
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  return ((base64.length * 3) / 4 - padding) / 8;
}

/** Parses one frame; null for anything that is not a Media Streams message (logged and skipped by the caller). */
export function parseTwilioMessage(raw: string): TwilioInbound | null {
  try {
    const message = JSON.parse(raw) as { event?: unknown };
    return typeof message.event === "string" && ["connected", "start", "media", "mark", "stop", "dtmf"].includes(message.event)
      ? (message as TwilioInbound)
      : null;
  } catch {
    return null;
  }
}
