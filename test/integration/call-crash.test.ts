/** A process killed with SIGKILL in the middle of a call: after restart the call is finalised with what was said. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startProductProcess, twilioVoiceProcessEnv } from "./product-process";
import { openRawSql } from "../support/raw-sql";
import { createTestDatabase } from "../support/test-database";
import { connectMediaStream } from "../fakes/media-streams-client";
import { startFakeRealtime } from "../fakes/openai-realtime";
import { startFakeTwilio } from "../fakes/twilio-rest";

const TOKEN = "call-crash-admin-token-0123";
const dir = mkdtempSync(join(tmpdir(), "prospecta-call-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe("a crash in the middle of a call", () => {
  it("finalises the call after a restart, keeping the transcript and the facts", async () => {
    const twilio = await startFakeTwilio();
    const realtime = await startFakeRealtime();
    const database = await createTestDatabase(dir, "crash");
    const env = {
      DATABASE_URL: database.url,
      ADMIN_API_TOKEN: TOKEN,
      QUIET_HOURS: "",
      ...twilioVoiceProcessEnv(twilio),
      OPENAI_API_KEY: realtime.apiKey,
      OPENAI_REALTIME_URL: realtime.url,
      CALL_MAX_MINUTES: "0.05", // 3 s: long enough to kill the call mid-way, short enough to be abandoned soon after
      CAMPAIGN_RUNNER_CRON: "* * * * * *",
    };
    const api = async (baseUrl: string, method: string, path: string, body?: unknown) =>
      (await (await fetch(`${baseUrl}/api/v1${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) })).json()) as Record<string, any>;
    const first = await startProductProcess(env);
    const db = openRawSql(env.DATABASE_URL);
    try {
      const lead = await api(first.baseUrl, "POST", "/leads", { name: "Caída", phone: "+525544443333" });
      const call = await api(first.baseUrl, "POST", "/calls/initiate", { lead_id: lead.id, agent_type: "financiero" });
      const phone = await connectMediaStream(`${first.baseUrl.replace("http", "ws")}/voice/stream`);
      phone.start(call.call_id, "financiero", call.call_sid);
      for (let i = 0; i < 200 && !phone.received.some((m) => m.event === "media"); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      realtime.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: "u", content_index: 0, transcript: "Gano como 55 mil al mes" });
      const summaryOf = async (id: number) => (await db.query<{ summary: string | null }>("SELECT summary FROM voice_calls WHERE id = ?", id))[0]!.summary;
      for (let i = 0; i < 200 && (await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM call_transcripts"))[0]!.n < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      first.child.kill("SIGKILL");
      await new Promise((resolve) => first.child.once("exit", resolve));
      expect(await summaryOf(call.call_id)).toBeNull();

      const second = await startProductProcess(env);
      try {
        let summary: string | null = null;
        for (let i = 0; i < 1500 && !summary; i++) {
          summary = await summaryOf(call.call_id);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(summary).toMatch(/proceso interrumpido/);
        expect((await db.query<{ monthly_income: number }>("SELECT monthly_income FROM leads WHERE id = ?", lead.id))[0]!.monthly_income).toBe(55_000);
      } finally {
        second.child.kill("SIGTERM");
        await new Promise((resolve) => second.child.once("exit", resolve));
      }
    } finally {
      await db.close();
      await first.stop("SIGKILL"); // at once if it already exited
      await realtime.close();
      await twilio.close();
      await database.drop();
    }
  });
});
