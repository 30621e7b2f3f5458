/**
 * `npm run bench:whatsapp [-- --database sqlite|postgres]`: WhatsApp leads from
 * the user's side. The product runs as `npm start` runs it, in its own process
 * (bench-product.ts: offline agent, no quiet hours), with WhatsApp pointed at
 * the fake Twilio Messaging API; on SQLite and on PostgreSQL (both by default
 * when PostgreSQL is installed). The fake and the people writing
 * (test/bench/whatsapp-load.ts) run in a process of their own, started afresh
 * for each database; this one only starts them and reads the product's CPU and
 * memory from /proc.
 * Per message: from posting the signed inbound webhook to the fake receiving
 * the product's reply. Two phases, as bench:bot:
 * 1. Throughput: BENCH_NUMBERS numbers (1,000) write BENCH_MESSAGES_PER_NUMBER
 *    messages each (7), all at once with at most BENCH_CONCURRENCY (200)
 *    waiting for an answer; each number writes again when answered, so
 *    conversations go on before new ones start (new numbers keep joining).
 * 2. Handling time: as many new numbers, offered open-loop at half the
 *    measured throughput (or BENCH_RATE) for at most BENCH_SECONDS.
 * BENCH_SECONDS (20) also caps the offering in phase 1. The fake posts every
 * status callback to the product (sent, delivered, read, BENCH_CALLBACK_DELAY_MS
 * apart); BENCH_STATUS_CALLBACKS=0 sends them elsewhere. The product's CPU per
 * message counts its status callbacks too; on PostgreSQL the server's own CPU
 * per message is read as well (database-server.ts), and the load process's on
 * both. From the three comes an inner figure, labelled so: the rate at which
 * that CPU per message fills every core of the machine
 * (saturation.machine_ceiling_messages_per_second_inner), the most the
 * throughput can be while all three share it. BENCH_CPU_PROF_DIR=<dir>:
 * the product writes a V8 CPU profile there as it exits; BENCH_PRODUCT_ENV /
 * BENCH_PRODUCT_NODE_OPTIONS: see product-instrumentation.ts; BENCH_SAMPLES_FILE=<file>:
 * phase 2's [posted at (epoch ms), webhook → last reply ms, step] per message.
 * Prints a summary to stderr and one JSON object, carrying every database, as
 * the last line of stdout; exits non-zero only when a run could not complete,
 * never for a missed target.
 */
import { fork, type ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import { benchDatabases, openBenchStore, startBenchProduct, stopBenchProduct, type BenchDatabase, type BenchStore } from "./bench-product";
import { databaseServerCpuSeconds } from "./database-server";
import { loadAverageNow, machineFacts } from "./machine";
import { readProcessTree } from "./process-stats";
import type { RunOptions } from "./whatsapp-load";

const NUMBERS = Number(process.env.BENCH_NUMBERS ?? 1000);
const PER_NUMBER = Number(process.env.BENCH_MESSAGES_PER_NUMBER ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 200);
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : null;
const WEBHOOK_BASE = "https://bench.prospecta.example";
const TARGETS = { messages_per_second: 500, p99_ms: 50, peak_rss_mb: 300 };

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const treeCpu = (pid: number) => readProcessTree(pid).reduce((sum, p) => sum + p.cpuSeconds, 0);

/** The load process (fake Twilio and the people writing), and its messages by type. */
function startLoad() {
  const load: ChildProcess = fork(join(import.meta.dirname, "whatsapp-load.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const messages: { type: string; [key: string]: any }[] = [];
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  load.on("message", (message: { type: string }) => {
    messages.push(message);
    wake();
  });
  load.once("exit", (code) => {
    if (code !== 0) console.error(`the load process exited with ${code}`);
    wake();
  });
  return {
    load,
    async next(type: string): Promise<{ [key: string]: any }> {
      for (;;) {
        const index = messages.findIndex((m) => m.type === type);
        if (index >= 0) return messages.splice(index, 1)[0]!;
        if (load.exitCode !== null) throw new Error(`the load process ended before sending "${type}"`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

async function runOn(kind: BenchDatabase) {
  const store: BenchStore = await openBenchStore(kind, "whatsapp");
  const { load, next } = startLoad();
  try {
    const fake = await next("ready");
    const product = await startBenchProduct(store, {
      NODE_ENV: "production",
      LLM_PROVIDER: "offline",
      WHATSAPP_PROVIDER: "twilio",
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_WHATSAPP_NUMBER: fake.sender,
      TWILIO_API_BASE: fake.apiBase,
      WEBHOOK_BASE_URL: WEBHOOK_BASE,
    });
    // startProductProcess keeps every line the product prints and searches all of it on each chunk;
    // over a long run that grows without bound, so from here on the logs are only counted.
    let logBytes = 0;
    for (const stream of [product.child.stdout!, product.child.stderr!]) {
      stream.removeAllListeners("data");
      stream.on("data", (chunk: Buffer) => (logBytes += chunk.length));
    }
    const pid = product.child.pid!;
    const rssAfterStartMb = Math.round(readProcessTree(pid).reduce((sum, p) => sum + p.rssMb, 0));
    let exitCode: number | null = null;
    let peakRssMb = 0;
    let result: { [key: string]: any } | undefined;
    const phases: Record<
      string,
      { cpu: number; server: number | null; load: number; wall: number; cpuSeconds?: number; serverCpuSeconds?: number | null; loadCpuSeconds?: number; seconds?: number }
    > = {};
    try {
      const watchPhases = (async () => {
        for (;;) {
          const phase = await next("phase").catch(() => null);
          if (!phase) return;
          if (phase.edge === "start") {
            phases[phase.name] = { cpu: treeCpu(pid), server: await databaseServerCpuSeconds(store), load: treeCpu(load.pid!), wall: performance.now() };
          } else {
            const began = phases[phase.name]!;
            const server = await databaseServerCpuSeconds(store);
            began.cpuSeconds = treeCpu(pid) - began.cpu;
            began.serverCpuSeconds = server === null || began.server === null ? null : server - began.server;
            began.loadCpuSeconds = treeCpu(load.pid!) - began.load;
            began.seconds = (performance.now() - began.wall) / 1000;
            if (phase.name === "paced") return;
          }
        }
      })();
      const run: RunOptions = { productUrl: product.baseUrl, webhookBase: WEBHOOK_BASE, numbers: NUMBERS, perNumber: PER_NUMBER, seconds: SECONDS, concurrency: CONCURRENCY, rate: RATE };
      load.send({ type: "run", ...run });
      try {
        result = await next("result");
      } catch (error) {
        console.error(`[${kind}] ${String(error)}`);
      }
      await watchPhases;
    } finally {
      peakRssMb = Math.round(Math.max(0, ...readProcessTree(pid).map((p) => p.peakRssMb)));
      exitCode = await stopBenchProduct(product, kind);
    }
    if (!result) return null;

    const { saturation, paced } = result;
    /** CPU spent per answered message, status callbacks included: less sensitive than rates to what else runs on the machine. */
    const perMessage = (seconds: number | null | undefined, messages: number) => (seconds == null || messages === 0 ? null : round((seconds * 1000) / messages));
    const phaseCpu = (name: string, messages: number) => {
      const phase = phases[name];
      return {
        product_cpu_percent: phase?.cpuSeconds === undefined ? null : Math.round((phase.cpuSeconds / phase.seconds!) * 100),
        product_cpu_ms_per_message: perMessage(phase?.cpuSeconds, messages),
        ...(kind === "postgres" && { database_server_cpu_ms_per_message: perMessage(phase?.serverCpuSeconds, messages) }),
        load_process_cpu_ms_per_message: perMessage(phase?.loadCpuSeconds, messages),
      };
    };
    const saturationCpu = phaseCpu("saturation", saturation.messages);
    // Inner figure, not the user's: the rate at which the CPU the three processes spent per message
    // (product, database server if any, and this bench's own fake Twilio and writers) would fill every core.
    const cpuMsPerMessage = [saturationCpu.product_cpu_ms_per_message, saturationCpu.database_server_cpu_ms_per_message ?? 0, saturationCpu.load_process_cpu_ms_per_message];
    const cores = cpus().length;
    const machineCeiling = cpuMsPerMessage.some((ms) => ms === null) ? null : Math.round((cores * 1000) / cpuMsPerMessage.reduce<number>((sum, ms) => sum + ms!, 0));
    const p99 = paced.first_reply_ms.p99 as number | null;
    const output = {
      status_callbacks: result.status_callbacks,
      replies_per_step: result.replies_per_step,
      messages_per_second: saturation.messages_per_second,
      saturation: { ...saturation, ...saturationCpu, machine_ceiling_messages_per_second_inner: machineCeiling },
      offered_per_second: paced.offered_per_second,
      handling_ms: { p50: paced.first_reply_ms.p50, p95: paced.first_reply_ms.p95, p99 },
      paced: { ...paced, ...phaseCpu("paced", paced.messages) },
      product: { rss_mb_after_start: rssAfterStartMb, peak_rss_mb: peakRssMb, log_mb: round(logBytes / 1024 / 1024, 1), exit_code: exitCode },
      unexpected_replies: result.unexpected_replies,
      failure_count: result.failure_count,
      failures: result.failures,
      met: {
        messages_per_second: saturation.messages_per_second >= TARGETS.messages_per_second,
        p99: p99 !== null && p99 < TARGETS.p99_ms,
        peak_rss: peakRssMb < TARGETS.peak_rss_mb,
      },
      complete: saturation.complete && paced.complete && result.failure_count === 0,
    };
    console.error(
      `[${kind}] throughput: ${saturation.messages} messages from ${NUMBERS} numbers in ${saturation.elapsed_ms} ms = ${saturation.messages_per_second} msg/s ` +
        `(product CPU ${output.saturation.product_cpu_percent}% of a core, ${output.saturation.product_cpu_ms_per_message} ms per message` +
        `${"database_server_cpu_ms_per_message" in output.saturation ? `, PostgreSQL ${output.saturation.database_server_cpu_ms_per_message} ms` : ""}; load process ${saturation.load_cpu_percent}%, ` +
        `${output.saturation.load_process_cpu_ms_per_message} ms per message)`,
    );
    const processes = kind === "postgres" ? "product, PostgreSQL and load process" : "product and load process";
    console.error(`[${kind}] inner figure: that CPU per message (${processes}) fills the machine's ${cores} cores at ${machineCeiling} msg/s`);
    console.error(
      `[${kind}] at ${paced.offered_per_second} msg/s offered: webhook → reply p50 ${paced.first_reply_ms.p50} ms, p95 ${paced.first_reply_ms.p95} ms, p99 ${p99} ms ` +
        `(product CPU ${output.paced.product_cpu_percent}%); product RSS ${rssAfterStartMb} MB after start, peak ${peakRssMb} MB`,
    );
    return output;
  } finally {
    if (load.exitCode === null) load.kill();
    await store.cleanUp();
  }
}

const databases = benchDatabases();
const loadBefore = loadAverageNow();
const results: Partial<Record<BenchDatabase, NonNullable<Awaited<ReturnType<typeof runOn>>> & { load_average_before: number }>> = {};
let failed = false;
try {
  for (const kind of databases) {
    const loadAverage = loadAverageNow();
    const result = await runOn(kind);
    if (!result) {
      failed = true;
      continue;
    }
    results[kind] = { ...result, load_average_before: loadAverage };
    if (!result.complete) failed = true;
  }
  console.log(
    JSON.stringify({
      ...results,
      numbers: NUMBERS,
      messages_per_number: PER_NUMBER,
      concurrency: CONCURRENCY,
      targets: TARGETS,
      summary: Object.fromEntries(
        databases.map((kind) => [kind, { messages_per_second: results[kind]?.messages_per_second, p99_ms: results[kind]?.handling_ms.p99, peak_rss_mb: results[kind]?.product.peak_rss_mb }]),
      ),
      ...machineFacts(loadBefore),
    }),
  );
} catch (error) {
  console.error(error);
  failed = true;
}
process.exit(failed ? 1 : 0);
