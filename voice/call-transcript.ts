/**
 * What was said on a call, line by line, as the caller experienced it:
 * - lines are ordered by when they were spoken (the conversation's item
 *   order, first seen as speech start or first audio), not by when their
 *   transcription finished, and carry their offset in the call's audio;
 * - when the caller interrupts the agent, the agent's line keeps only what the
 *   caller heard (the Realtime server drops the rest from its own context on
 *   truncate), estimated from the share of the item's audio that was played.
 */
export interface TranscriptLine {
  speaker: "agent" | "lead";
  text: string;
  itemId: string;
  position: number;
  offsetMs: number;
}

export interface TranscriptSink {
  record(line: TranscriptLine): void;
  /** Replaces an agent line's text with what was heard; null removes it (nothing was heard). */
  replace(itemId: string, text: string | null): void;
}

interface Item {
  position: number;
  offsetMs: number;
  /** Agent items: audio generated and how much of it the caller heard before interrupting. */
  generatedMs: number;
  heardMs: number | null;
  transcript: string | null;
}

export function createCallTranscript(sink: TranscriptSink) {
  const items = new Map<string, Item>();
  let nextPosition = 0;
  /** The call's audio clock: Twilio streams 20 ms frames continuously, speech or silence. */
  let audioMs = 0;

  function item(itemId: string, offsetMs = audioMs): Item {
    let found = items.get(itemId);
    if (!found) {
      found = { position: nextPosition++, offsetMs, generatedMs: 0, heardMs: null, transcript: null };
      items.set(itemId, found);
    }
    return found;
  }

  return {
    callerAudio(ms: number): void {
      audioMs += ms;
    },
    callerSpeechStarted(itemId: string, audioStartMs: number): void {
      item(itemId, audioStartMs);
    },
    /** Any conversation item as the server adds it, so positions follow the server's order. */
    itemAdded(itemId: string): void {
      item(itemId);
    },
    agentAudio(itemId: string, ms: number): void {
      item(itemId).generatedMs += ms;
    },
    isTruncated(itemId: string): boolean {
      return items.get(itemId)?.heardMs != null;
    },
    /** The caller interrupted after hearing `heardMs` of this agent item. */
    truncated(itemId: string, heardMs: number): void {
      const found = item(itemId);
      found.heardMs = heardMs;
      if (found.transcript !== null) sink.replace(itemId, heardPart(found.transcript, heardMs, found.generatedMs));
    },
    agentSaid(itemId: string, transcript: string): void {
      const found = item(itemId);
      found.transcript = transcript;
      const text = found.heardMs === null ? transcript.trim() : heardPart(transcript, found.heardMs, found.generatedMs);
      if (text) sink.record({ speaker: "agent", text, itemId, position: found.position, offsetMs: Math.round(found.offsetMs) });
    },
    callerSaid(itemId: string, transcript: string): void {
      const found = item(itemId);
      if (transcript.trim()) sink.record({ speaker: "lead", text: transcript.trim(), itemId, position: found.position, offsetMs: Math.round(found.offsetMs) });
    },
  };
}

export type CallTranscript = ReturnType<typeof createCallTranscript>;

/**
 * The words of `text` the caller heard, assuming speech runs evenly through the
 * item's audio; cut back to a whole word and marked with "…". Null when
 * nothing was heard.
 */
export function heardPart(text: string, heardMs: number, generatedMs: number): string | null {
  const whole = text.trim();
  if (generatedMs <= 0 || heardMs >= generatedMs) return whole || null;
  if (heardMs <= 0) return null;
  const cut = Math.round((whole.length * heardMs) / generatedMs);
  const atWord = whole.slice(0, cut + 1).match(/^.*\S(?=\s)/s)?.[0] ?? "";
  return atWord ? `${atWord.replace(/[\s,;:.]+$/, "")}…` : null;
}
