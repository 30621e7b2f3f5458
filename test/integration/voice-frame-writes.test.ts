/**
 * What a call costs in socket writes: each model audio delta goes to Twilio with its mark in one write (one
 * syscall, one segment), not one each. Forwarding audio is mostly socket writes (bench:voice's profiles of the
 * audio process), so this is a third of the writes a call makes. The in-process server's sockets are watched
 * where Node hands a batch of chunks to the kernel (net.Socket's _writev).
 */
import { Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mediaReceived, startStreamingCall, startVoiceHarness, type VoiceHarness } from "./voice-call-helpers";

let harness: VoiceHarness;
beforeAll(async () => {
  harness = await startVoiceHarness();
});
afterAll(() => harness.close());
afterEach(() => vi.restoreAllMocks());

type Writev = (chunks: { chunk: Buffer | string }[], callback: (error?: Error | null) => void) => void;
const count = (text: string, event: string) => text.split(`"event":"${event}"`).length - 1;

describe("socket writes", () => {
  it("each audio delta leaves for Twilio in the same write as its mark", async () => {
    const writes: string[] = [];
    const prototype = Socket.prototype as unknown as { _writev: Writev };
    const writev = prototype._writev;
    vi.spyOn(prototype, "_writev").mockImplementation(function (this: Socket, chunks, callback) {
      writes.push(chunks.map(({ chunk }) => (typeof chunk === "string" ? chunk : chunk.toString("latin1"))).join(""));
      return writev.call(this, chunks, callback);
    });
    const { side } = await startStreamingCall(harness, "+525566669901");
    expect(mediaReceived(side)).toBe(harness.realtime.greetingFrames);
    const withAudio = writes.filter((text) => count(text, "media") > 0 && text.includes('"streamSid"'));
    expect(withAudio).toHaveLength(harness.realtime.greetingFrames);
    for (const text of withAudio) expect([count(text, "media"), count(text, "mark")]).toEqual([1, 1]);
  });
});
