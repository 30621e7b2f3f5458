/**
 * Two instances on one database: a call placed through one may have its
 * webhooks and its Media Stream land on the other, because a call's state
 * lives in the database. A second stream naming the same call, on either
 * instance, is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectMediaStream } from "../fakes/media-streams-client";
import { openRawSql, type RawSql } from "../support/raw-sql";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { mediaReceived, placeAnsweredCall, startVoiceHarness, streamUrlOf, type VoiceHarness } from "./voice-call-helpers";
import { startTestServer, type TestServer, voiceEnv } from "./test-server";

const dir = mkdtempSync(join(tmpdir(), "prospecta-voice-two-"));
let shared: TestDatabase;
let harness: VoiceHarness;
let other: TestServer;
/** Raw SQL on the shared database (each server's `sql` looks at the database it made, not at DATABASE_URL). */
let raw: RawSql;

beforeAll(async () => {
  shared = await createTestDatabase(dir, "shared");
  harness = await startVoiceHarness({ env: { DATABASE_URL: shared.url } });
  other = await startTestServer({ env: { ...voiceEnv(harness.twilioFake, harness.realtime), DATABASE_URL: shared.url } });
  raw = openRawSql(shared.url);
});
afterAll(async () => {
  await raw.close();
  await other.close();
  await harness.close();
  await shared.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a call across two instances", () => {
  it("is placed through one, streams through the other, and its results are the same on both", async () => {
    const { server, twilioFake, realtime } = harness;
    const call = await placeAnsweredCall(server, twilioFake, "+525566660101");

    const side = await connectMediaStream(streamUrlOf(other), { twilio: twilioFake });
    side.start(call.call_id, "perfilador", call.call_sid);
    await vi.waitFor(() => expect(mediaReceived(side)).toBe(realtime.greetingFrames));

    // The same call's stream again, on the instance that placed it: the database says it is taken.
    const duplicate = await connectMediaStream(streamUrlOf(server), { twilio: twilioFake });
    duplicate.start(call.call_id, "perfilador", call.call_sid);
    expect((await duplicate.closed).code).toBe(1008);

    realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", content_index: 0, transcript: "Busco casa en Zapopan de unos 4 millones" });
    await vi.waitFor(async () => expect((await raw.query("SELECT COUNT(*) AS n FROM call_transcripts WHERE call_id = ?", call.call_id))[0].n).toBe(2));
    side.stop(call.call_sid);
    await side.closed;

    await vi.waitFor(async () => expect((await raw.query("SELECT summary FROM voice_calls WHERE id = ?", call.call_id))[0].summary).not.toBeNull());
    const fromPlacer = (await server.api("GET", `/calls/${call.call_id}`)).body;
    const fromStreamer = (await other.api("GET", `/calls/${call.call_id}`)).body;
    expect(fromPlacer).toEqual(fromStreamer);
    expect(fromPlacer.transcript.map((t: { speaker: string }) => t.speaker)).toEqual(["agent", "lead"]);
    expect((await server.api("GET", `/leads/${call.leadId}`)).body).toMatchObject({ location: "Zapopan", budget_max: 4_000_000 });
  });
});
