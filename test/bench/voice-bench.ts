/**
 * `npm run bench:voice`: N simultaneous calls streaming 20 ms frames both ways
 * through the bridge (test/bench/voice-load.ts plays Twilio and the model in a
 * separate process). Reports the latency the bridge adds per frame at p50/p99
 * in each direction, and the CPU and memory per call of this process.
 * One JSON object as the last line of stdout.
 */
import { fork } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { rawRows } from "../../db/prepared";
import { buildBenchProspecta } from "./bench-setup";

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const load = fork(join(import.meta.dirname, "voice-load.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
const realtimeUrl = await new Promise<string>((resolve) => load.once("message", (m: { url: string }) => resolve(m.url)));
const { prospecta, cleanUp } = await buildBenchProspecta("voice", null, {
  VOICE_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: "ACbench",
  TWILIO_AUTH_TOKEN: "bench-auth-token",
  TWILIO_PHONE_NUMBER: "+525500000000",
  WEBHOOK_BASE_URL: "https://bench.local",
  TWILIO_API_BASE: "http://127.0.0.1:9", // never called: the calls are written straight to the database
  OPENAI_API_KEY: "sk-bench",
  OPENAI_REALTIME_URL: realtimeUrl,
  LLM_PROVIDER: "offline",
});
await prospecta.app.listen({ port: 0, host: "127.0.0.1" });
const port = (prospecta.app.server.address() as AddressInfo).port;

// N calls in progress, one lead each.
const now = Date.now();
let firstCallId = 0;
for (let i = 0; i < CALLS; i++) {
  const phone = `+5255${String(20_000_000 + i)}`;
  const callId = await prospecta.db.run(async (q) => {
    const [lead] = await rawRows<{ id: number }>(
      q,
      sql`INSERT INTO leads (name, phone, stage_changed_at, last_activity_at, created_at, updated_at) VALUES (${`Bench ${i}`}, ${phone}, ${now}, ${now}, ${now}, ${now}) RETURNING id`,
    );
    const [call] = await rawRows<{ id: number }>(
      q,
      sql`INSERT INTO voice_calls (lead_id, agent_type, direction, status, provider, provider_call_sid, to_number, created_at, updated_at)
          VALUES (${lead!.id}, 'perfilador', 'outbound', 'in_progress', 'twilio', ${`CAbench${i}`}, ${phone}, ${now}, ${now}) RETURNING id`,
    );
    return call!.id;
  });
  if (i === 0) firstCallId = callId;
}

const rssBefore = process.memoryUsage().rss;
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
const result = await new Promise<Record<string, any>>((resolve) => {
  load.on("message", (message: { type: string }) => {
    if (message.type === "result") resolve(message as Record<string, any>);
  });
  load.send({ streamUrl: `ws://127.0.0.1:${port}/voice/stream`, firstCallId, calls: CALLS, seconds: SECONDS });
});
const cpu = process.cpuUsage(cpuBefore);
const wallMs = performance.now() - wallBefore;
const rssPerCallMb = Math.max(0, process.memoryUsage().rss - rssBefore) / CALLS / 1024 / 1024;
await cleanUp();

const cpuShare = (cpu.user + cpu.system) / 1000 / wallMs;
const output = {
  calls: CALLS,
  seconds: SECONDS,
  frames_in: result.frames_in,
  frames_out: result.frames_out,
  added_latency_ms: { twilio_to_realtime: result.inbound_ms, realtime_to_twilio: result.outbound_ms },
  cpu_percent_of_one_core_per_call: Math.round((cpuShare / CALLS) * 100 * 1000) / 1000,
  cpu_percent_of_one_core_total: Math.round(cpuShare * 1000) / 10,
  memory_mb_per_call: Math.round(rssPerCallMb * 1000) / 1000,
  targets: { calls: 200, p99_ms: 5, memory_mb_per_call: 2 },
  met: {
    p99: Math.max(result.inbound_ms.p99, result.outbound_ms.p99) < 5,
    memory: rssPerCallMb < 2,
  },
  node: process.version,
  cpus: cpus().length,
};
console.error(
  `${CALLS} calls × ${SECONDS} s: Twilio→Realtime p50 ${result.inbound_ms.p50} ms p99 ${result.inbound_ms.p99} ms; ` +
    `Realtime→Twilio p50 ${result.outbound_ms.p50} ms p99 ${result.outbound_ms.p99} ms; CPU ${output.cpu_percent_of_one_core_total}% of a core; ${output.memory_mb_per_call} MB/call`,
);
console.log(JSON.stringify(output));
