/**
 * Twilio's playback as bench:voice's steady calls play it (test/bench/voice-twilio-side.ts):
 * a mark comes back once the media sent before it has played, in real time; a clear gives back
 * the marks still queued.
 */
import { describe, expect, it } from "vitest";
import { createPlayback } from "../bench/voice-twilio-side";

const ms20 = Buffer.alloc(160, 0xff).toString("base64");
const ms10 = Buffer.alloc(80, 0xff).toString("base64");

describe("the bench's Twilio playback", () => {
  it("echoes a mark once the audio sent before it has played, 20 ms per 20 ms", () => {
    const playback = createPlayback();
    playback.media(ms20);
    playback.mark("a");
    playback.media(ms20);
    playback.media(ms20);
    playback.mark("b");
    playback.mark("c");
    expect(playback.play(10)).toEqual([]);
    expect(playback.play(10)).toEqual(["a"]);
    expect(playback.play(20)).toEqual([]);
    expect(playback.play(20)).toEqual(["b", "c"]);
    expect(playback.play(20)).toEqual([]);
  });

  it("plays several short frames in one tick, and a mark with no audio before it at once", () => {
    const playback = createPlayback();
    playback.mark("first");
    playback.media(ms10);
    playback.mark("half");
    playback.media(ms10);
    playback.mark("whole");
    playback.media(ms20);
    expect(playback.play(20)).toEqual(["first", "half", "whole"]);
  });

  it("gives back the queued marks on a clear, and plays nothing of what was cleared", () => {
    const playback = createPlayback();
    playback.media(ms20);
    playback.mark("played");
    playback.media(ms20);
    playback.mark("cut");
    expect(playback.play(20)).toEqual(["played"]);
    expect(playback.clear()).toEqual(["cut"]);
    expect(playback.play(20)).toEqual([]);
  });
});
