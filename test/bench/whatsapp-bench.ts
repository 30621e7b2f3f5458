/**
 * `npm run bench:whatsapp`: WhatsApp leads from the user's side. The product
 * runs as `npm start` runs it (src/main.ts in its own process, offline agent,
 * no quiet hours, a temporary SQLite file, LOG_LEVEL info as deployed), with
 * WhatsApp pointed at the fake Twilio Messaging API. The fake and the people
 * writing (test/bench/whatsapp-load.ts) run in another process; this one only
 * starts both and reads the product's CPU and memory from /proc.
 * Per message: from posting the signed inbound webhook to the fake receiving
 * the product's reply. Two phases, as bench:bot:
 * 1. Throughput: BENCH_NUMBERS numbers (1,000) write BENCH_MESSAGES_PER_NUMBER
 *    messages each (7), all at once with at most BENCH_CONCURRENCY (200)
 *    waiting for an answer; each number writes again when answered, so
 *    conversations go on before new ones start.
 * 2. Handling time: as many new numbers, offered open-loop at half the
 *    measured throughput (or BENCH_RATE) for at most BENCH_SECONDS.
 * BENCH_SECONDS (20) also caps the offering in phase 1. The fake posts every
 * status callback to the product (sent, delivered, read, BENCH_CALLBACK_DELAY_MS
 * apart); BENCH_STATUS_CALLBACKS=0 sends them elsewhere. BENCH_CPU_PROF=<dir>
 * writes a V8 CPU profile of the product process there.
 * Prints a summary to stderr and one JSON object as the last line of stdout;
 * exits non-zero only when the run could not complete, never for a missed target.
 */
import { execFileSync, fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startProductProcess } from "../integration/product-process";
import type { RunOptions } from "./whatsapp-load";

const NUMBERS = Number(process.env.BENCH_NUMBERS ?? 1000);
const PER_NUMBER = Number(process.env.BENCH_MESSAGES_PER_NUMBER ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 200);
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : null;
const PROFILE_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;
const WEBHOOK_BASE = "https://bench.prospecta.example";
const LOAD_AVERAGE_BEFORE = Math.round(loadavg()[0]! * 100) / 100;
const TARGETS = { messages_per_second: 500, p99_ms: 50 };

/** The product process's CPU time (all threads) and memory, from /proc (Linux only; null elsewhere). */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime and stime, fields 14 and 15
  } catch {
    return null;
  }
}
function memoryMb(pid: number, field: "VmHWM" | "VmRSS"): number | null {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Node 20 refuses --cpu-prof in NODE_OPTIONS, and startProductProcess fixes the
 * command line; a module given by --import (allowed there) profiles the product
 * through the inspector instead and writes the profile as the process exits.
 */
function profilerModule(file: string): string {
  const source = `import { Session } from "node:inspector"; import { mkdirSync, writeFileSync } from "node:fs"; import { dirname } from "node:path";
const session = new Session(); session.connect(); session.post("Profiler.enable"); session.post("Profiler.start");
process.on("exit", () => session.post("Profiler.stop", (error, result) => { if (error) return; mkdirSync(dirname(${JSON.stringify(file)}), { recursive: true }); writeFileSync(${JSON.stringify(file)}, JSON.stringify(result.profile)); }));`;
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

const load = fork(join(import.meta.dirname, "whatsapp-load.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
const messages: { type: string; [key: string]: any }[] = [];
const waiters: (() => void)[] = [];
load.on("message", (message: { type: string }) => {
  messages.push(message);
  for (const wake of waiters.splice(0)) wake();
});
load.once("exit", (code) => {
  if (code !== 0) console.error(`the load process exited with ${code}`);
  for (const wake of waiters.splice(0)) wake();
});
async function next(type: string): Promise<{ [key: string]: any }> {
  for (;;) {
    const index = messages.findIndex((m) => m.type === type);
    if (index >= 0) return messages.splice(index, 1)[0]!;
    if (load.exitCode !== null) throw new Error(`the load process ended before sending "${type}"`);
    await new Promise<void>((wake) => waiters.push(wake));
  }
}

const fake = await next("ready");
const dir = mkdtempSync(join(tmpdir(), "prospecta-bench-whatsapp-"));
const product = await startProductProcess({
  DATABASE_URL: join(dir, "bench.db"),
  ADMIN_API_TOKEN: "bench-token-0123456789",
  NODE_ENV: "production",
  QUIET_HOURS: "",
  LLM_PROVIDER: "offline",
  WHATSAPP_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: fake.accountSid,
  TWILIO_AUTH_TOKEN: fake.authToken,
  TWILIO_WHATSAPP_NUMBER: fake.sender,
  TWILIO_API_BASE: fake.apiBase,
  WEBHOOK_BASE_URL: WEBHOOK_BASE,
  ...(PROFILE_DIR && { NODE_OPTIONS: `--import=${profilerModule(join(PROFILE_DIR, `whatsapp-product-${Date.now()}.cpuprofile`))}` }),
});
// startProductProcess keeps every line the product prints and searches all of it on each chunk;
// over a run of info logs that grows without bound, so from here on the logs are only counted.
let logBytes = 0;
for (const stream of [product.child.stdout!, product.child.stderr!]) {
  stream.removeAllListeners("data");
  stream.on("data", (chunk: Buffer) => (logBytes += chunk.length));
}
const pid = product.child.pid!;
const rssAfterStartMb = memoryMb(pid, "VmRSS");

const phases: Record<string, { cpu: number | null; wall: number; cpuSeconds?: number | null; cpuPercent?: number | null }> = {};
const watchPhases = (async () => {
  for (;;) {
    const phase = await next("phase").catch(() => null);
    if (!phase) return;
    if (phase.edge === "start") phases[phase.name] = { cpu: cpuSeconds(pid), wall: performance.now() };
    else {
      const began = phases[phase.name]!;
      const cpu = cpuSeconds(pid);
      began.cpuSeconds = began.cpu === null || cpu === null ? null : cpu - began.cpu;
      began.cpuPercent = began.cpuSeconds === null ? null : Math.round((began.cpuSeconds / ((performance.now() - began.wall) / 1000)) * 100);
      if (phase.name === "paced") return;
    }
  }
})();

const run: RunOptions = { productUrl: product.baseUrl, webhookBase: WEBHOOK_BASE, numbers: NUMBERS, perNumber: PER_NUMBER, seconds: SECONDS, concurrency: CONCURRENCY, rate: RATE };
load.send({ type: "run", ...run });
let result: { [key: string]: any } | undefined;
try {
  result = await next("result");
} catch (error) {
  console.error(String(error));
}
await watchPhases;
const peakRssMb = memoryMb(pid, "VmHWM");
const totalCpu = cpuSeconds(pid);
const exitCode = await product.stop();
rmSync(dir, { recursive: true, force: true });
if (load.exitCode === null) load.kill();
if (!result) process.exit(1);

const { saturation, paced } = result;
/** CPU the product spent per answered message, status callbacks included: less sensitive than rates to what else runs on the machine. */
const cpuMsPerMessage = (phase: string, messages: number) => {
  const seconds = phases[phase]?.cpuSeconds;
  return seconds == null || messages === 0 ? null : Math.round((seconds * 1000 * 100) / messages) / 100;
};
const p99 = paced.first_reply_ms.p99 as number | null;
const output = {
  numbers: NUMBERS,
  messages_per_number: PER_NUMBER,
  concurrency: CONCURRENCY,
  status_callbacks: result.status_callbacks,
  replies_per_step: result.replies_per_step,
  messages_per_second: saturation.messages_per_second,
  saturation: { ...saturation, product_cpu_percent: phases.saturation?.cpuPercent ?? null, product_cpu_ms_per_message: cpuMsPerMessage("saturation", saturation.messages) },
  offered_per_second: paced.offered_per_second,
  handling_ms: { p50: paced.first_reply_ms.p50, p95: paced.first_reply_ms.p95, p99 },
  paced: { ...paced, product_cpu_percent: phases.paced?.cpuPercent ?? null, product_cpu_ms_per_message: cpuMsPerMessage("paced", paced.messages) },
  product: {
    rss_mb_after_start: rssAfterStartMb,
    peak_rss_mb: peakRssMb,
    cpu_seconds_total: totalCpu,
    log_mb: Math.round((logBytes / 1024 / 1024) * 10) / 10,
    exit_code: exitCode,
    cpu_profile_dir: PROFILE_DIR,
  },
  unexpected_replies: result.unexpected_replies,
  failure_count: result.failure_count,
  failures: result.failures,
  targets: TARGETS,
  met: { messages_per_second: saturation.messages_per_second >= TARGETS.messages_per_second, p99: p99 !== null && p99 < TARGETS.p99_ms },
  node: process.version,
  cpus: cpus().length,
  /** Other work on the machine skews every rate here: the 1-minute load average before the bench started anything. */
  load_average_before: LOAD_AVERAGE_BEFORE,
};
console.error(
  `throughput: ${saturation.messages} messages from ${NUMBERS} numbers in ${saturation.elapsed_ms} ms = ${saturation.messages_per_second} msg/s ` +
    `(product CPU ${output.saturation.product_cpu_percent}% of a core, ${output.saturation.product_cpu_ms_per_message} ms per message; load process ${saturation.load_cpu_percent}%)`,
);
console.error(
  `handling at ${paced.offered_per_second} msg/s offered: webhook → reply p50 ${paced.first_reply_ms.p50} ms, p95 ${paced.first_reply_ms.p95} ms, p99 ${p99} ms ` +
    `(product CPU ${output.paced.product_cpu_percent}%); product peak RSS ${peakRssMb} MB`,
);
console.log(JSON.stringify(output));
process.exit(saturation.complete && paced.complete && result.failure_count === 0 ? 0 : 1);
