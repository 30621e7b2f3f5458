/**
 * `npm start` runs live call audio in a child process: the product keeps the
 * port and hands each Media Stream's socket to it. A call works through it
 * end to end; a dead audio process costs only its own calls (the API goes on
 * answering, a new one takes the next call, the sweep finalises the lost
 * call); and stopping the product ends a live call politely, finalised
 * through the product before it closes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { adminApi, startProductProcess, twilioVoiceProcessEnv, type ProductProcess } from "./product-process";
import { openRawSql, type RawSql } from "../support/raw-sql";
import { createTestDatabase } from "../support/test-database";
import { connectMediaStream, type MediaStreamsClient } from "../fakes/media-streams-client";
import { startFakeRealtime, type FakeRealtime } from "../fakes/openai-realtime";
import { startFakeTwilio, type FakeTwilio } from "../fakes/twilio-rest";

const TOKEN = "audio-process-admin-token-0123";
const dir = mkdtempSync(join(tmpdir(), "prospecta-audio-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const api = adminApi(TOKEN);
const wait = { timeout: 20_000, interval: 20 };

/** The pids of the audio processes the product reported ready, in order. */
function audioPids(product: ProductProcess): number[] {
  return product
    .output()
    .split("\n")
    .filter((line) => line.includes('"msg":"audio process ready"'))
    .map((line) => (JSON.parse(line) as { audio_pid: number }).audio_pid);
}

/** The parent of a live process, from /proc (the command name may hold spaces or parentheses). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** Each thread's scheduling, from /proc: its nice (field 19 of its stat), real-time priority (40) and policy (41; 2 is SCHED_RR). */
function threadScheduling(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((thread) => {
    const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return `nice ${fields[16]}, policy ${fields[38]}, rt ${fields[37]}`;
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface StreamingCall {
  callId: number;
  leadId: number;
  callSid: string;
  phone: MediaStreamsClient;
}

describe("live audio in its own process", () => {
  it("streams calls through a child process, replaces it when it dies, and finalises calls on shutdown", async () => {
    const twilio: FakeTwilio = await startFakeTwilio();
    const realtime: FakeRealtime = await startFakeRealtime();
    const database = await createTestDatabase(dir, "audio");
    const env = {
      DATABASE_URL: database.url,
      ADMIN_API_TOKEN: TOKEN,
      QUIET_HOURS: "",
      ...twilioVoiceProcessEnv(twilio),
      OPENAI_API_KEY: realtime.apiKey,
      OPENAI_REALTIME_URL: realtime.url,
      CALL_MAX_MINUTES: "0.1", // 6 s: a call the audio process lost is abandoned 12 s after it started
      CAMPAIGN_RUNNER_CRON: "* * * * * *",
    };
    const product = await startProductProcess(env);
    const db: RawSql = openRawSql(env.DATABASE_URL);
    const summaryOf = async (callId: number) => (await db.query<{ summary: string | null }>("SELECT summary FROM voice_calls WHERE id = ?", callId))[0]!.summary;
    const mediaReceived = (phone: MediaStreamsClient) => phone.received.filter((m) => m.event === "media").length;

    /** A call placed and answered, its stream open and the agent's greeting heard. */
    async function streamingCall(phoneNumber: string): Promise<StreamingCall> {
      const lead = await api(product.baseUrl, "POST", "/leads", { name: "Audio Aparte", phone: phoneNumber });
      const call = await api<{ call_id: number; call_sid: string }>(product.baseUrl, "POST", "/calls/initiate", { lead_id: lead.id, agent_type: "perfilador" });
      twilio.answer(call.call_sid);
      const phone = await connectMediaStream(`${product.baseUrl.replace("http", "ws")}/voice/stream`, { twilio });
      phone.start(call.call_id, "perfilador", call.call_sid);
      await vi.waitFor(() => expect(mediaReceived(phone)).toBe(realtime.greetingFrames), wait);
      return { callId: call.call_id, leadId: lead.id, callSid: call.call_sid, phone };
    }

    try {
      const [audioPid] = audioPids(product);
      expect(audioPid).toBeDefined();
      expect(audioPid).not.toBe(product.child.pid);
      expect(parentOf(audioPid!)).toBe(product.child.pid);
      // Ahead of everything else for a busy core, on every thread, where the system allows it: real-time round robin
      // (VOICE_AUDIO_REALTIME_PRIORITY, 10 by default) over VOICE_AUDIO_NICE (-10), kept as the fallback.
      // (A root without the real-time share of its cgroup, as in some containers, gets the nice and a warning.)
      const mayRaise = process.getuid?.() === 0;
      const realtimeRefused = product.output().includes("could not put the audio process on real-time scheduling");
      const expected = !mayRaise ? "nice 0, policy 0, rt 0" : realtimeRefused ? "nice -10, policy 0, rt 0" : "nice -10, policy 2, rt 10";
      expect(new Set(threadScheduling(audioPid!))).toEqual(new Set([expected]));
      if (!mayRaise) expect(product.output()).toContain("could not set the audio process's priority");

      // A whole call through the audio process: audio both ways, the transcript and the summary stored by the product.
      const first = await streamingCall("+525566660201");
      const appendedBefore = realtime.appendedAudio().length;
      first.phone.speak(5);
      await vi.waitFor(() => expect(realtime.appendedAudio().length - appendedBefore).toBe(5), wait);
      realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "u1", content_index: 0, transcript: "Busco casa en Zapopan de unos 4 millones" });
      await vi.waitFor(async () => expect((await db.query("SELECT COUNT(*) AS n FROM call_transcripts WHERE call_id = ?", first.callId))[0].n).toBe(2), wait);
      first.phone.stop(first.callSid);
      await first.phone.closed;
      await vi.waitFor(async () => expect(await summaryOf(first.callId)).not.toBeNull(), wait);
      const stored = await api<{ transcript: { speaker: string }[] }>(product.baseUrl, "GET", `/calls/${first.callId}`);
      expect(stored.transcript.map((line) => line.speaker)).toEqual(["agent", "lead"]);
      expect(await api(product.baseUrl, "GET", `/leads/${first.leadId}`)).toMatchObject({ location: "Zapopan", budget_max: 4_000_000 });

      // The audio process dies mid-call: the stream it held ends with it, the API goes on answering.
      const lost = await streamingCall("+525566660202");
      process.kill(audioPid!, "SIGKILL");
      await lost.phone.closed;
      expect((await fetch(`${product.baseUrl}/healthz`)).status).toBe(200);
      await api(product.baseUrl, "GET", `/calls/${lost.callId}`);

      // Another audio process takes the next call.
      await vi.waitFor(() => expect(audioPids(product)).toHaveLength(2), wait);
      const nextPid = audioPids(product)[1]!;
      expect(nextPid).not.toBe(audioPid);
      expect(parentOf(nextPid)).toBe(product.child.pid);
      const next = await streamingCall("+525566660203");
      next.phone.stop(next.callSid);
      await next.phone.closed;
      await vi.waitFor(async () => expect(await summaryOf(next.callId)).not.toBeNull(), wait);

      // The lost call is finalised by the abandoned-calls sweep, with what was said.
      await vi.waitFor(async () => expect(await summaryOf(lost.callId)).toMatch(/proceso interrumpido/), { timeout: 30_000, interval: 100 });

      // Stopping the product ends a live call politely, finalised through the product before it closes.
      const live = await streamingCall("+525566660204");
      expect(await product.stop("SIGTERM")).toBe(0);
      expect(await summaryOf(live.callId)).toMatch(/servidor detenido/);
      expect(twilio.updates.some((update) => update.sid === live.callSid)).toBe(true);
      expect(isAlive(nextPid)).toBe(false);
    } finally {
      await db.close();
      await product.stop("SIGKILL"); // at once if it already exited
      await realtime.close();
      await twilio.close();
      await database.drop();
    }
  }, 120_000);
});
