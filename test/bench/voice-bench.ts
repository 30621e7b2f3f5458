/**
 * `npm run bench:voice [-- --database postgres] [-- --compare-sample]`: the latency live calls see,
 * alone and next to everything else the product does, in one run.
 *
 * The product runs as `npm start` runs it (scripts/start.mjs: the compiled build in dist/, its
 * own process, LOG_LEVEL info, a temporary SQLite file, or with `--database
 * postgres` / BENCH_DATABASE=postgres a throwaway PostgreSQL cluster), voice
 * pointed at the fakes, Telegram at the fake Telegram with the rate limit
 * lifted. Everything else runs in other processes and reaches the product
 * over HTTP and WebSockets only:
 * - test/bench/voice-load.ts: the fake OpenAI Realtime server and Twilio's side
 *   of BENCH_CALLS (50) steady calls, each placed over the admin API, answered
 *   through signed webhooks, then streaming 20 ms frames both ways;
 * - test/bench/voice-neighbours.ts: the fake Twilio REST API, the churn calls,
 *   the API clients and the campaign (see there);
 * - test/fakes/run-fake-telegram.ts: the fake Telegram Bot API.
 * This process only starts them, marks the phase windows and reads the
 * product's CPU and memory from /proc (the product process and any child
 * process of it, each listed).
 *
 * Phases, on the same steady calls:
 * 1. quiet: BENCH_SECONDS (20) with nothing else going on;
 * 2. neighbours: churn calls (BENCH_CHURN a second, 2, each BENCH_CHURN_SECONDS
 *    long, 5) have run for one call length before the window opens; the API
 *    clients (BENCH_API_CLIENTS, 16, back to back, BENCH_API_THINK_MS between
 *    rounds) run throughout, and a campaign over BENCH_CAMPAIGN_LEADS (3,000)
 *    waiting leads is activated as the window opens. Measured for BENCH_SECONDS.
 *    The sub-window in which the campaign's messages were being delivered is
 *    reported on its own too. Admins' Telegram chat is set, so every finalised
 *    call also sends its notice through the fake.
 * After the window, in-flight work gets BENCH_STOP_GRACE_MS (20,000) to finish
 * (what is still waiting on the product then is reported unfinished) and the
 * campaign BENCH_CAMPAIGN_DRAIN_MS (30,000) to deliver the rest, so a swamped
 * product cannot hold the run for minutes.
 * Added latency per direction (Twilio frame → Realtime append, model delta →
 * Twilio media) is taken only from calls at least BENCH_WARMUP_MS (2,000) old.
 * The product's event-loop delay (from its /metrics) and the measuring
 * process's are printed beside, labelled inner-loop: they explain the
 * latencies, they are not the user's figures.
 * VOICE_AUDIO_PROCESS, VOICE_AUDIO_NICE, VOICE_AUDIO_REALTIME_PRIORITY, CAMPAIGN_CONCURRENCY and LOG_LEVEL, when set, are passed
 * to the product (which otherwise gets only the environment set here).
 *
 * `--compare-sample` (or BENCH_COMPARE_SAMPLE=1; BENCH_CALLS then defaults to
 * 100): the yardstick run instead, test/bench/voice-sample-comparison.ts. The
 * same steady calls, quiet phase only (no neighbours, no fake Telegram), first
 * against Twilio's sample bridge (test/bench/twilio-sample-bridge.ts, a port
 * of twilio-samples/speech-assistant-openai-realtime-api-node, in its own
 * process, its streams opened straight at it), then against the product as
 * above, each from a fresh load process measuring the same way; reported side
 * by side (p50/p99/max per direction, each bridge's CPU and memory, the
 * machine's load) with the ratio Prospecta/sample, and whether Prospecta's
 * p99 is no worse than the sample's in each direction. Its JSON line has
 * `mode: "compare-sample"`, `rounds` (each with `sample`, `prospecta` and its
 * ratios; BENCH_COMPARE_ROUNDS, 3, alternating which bridge goes first) and
 * `ratio_prospecta_over_sample`, the median of the rounds' ratios, instead of
 * the normal mode's fields.
 *
 * Prints a summary to stderr and one JSON object as the last line of stdout;
 * exits non-zero only when the run could not complete, never for a missed target.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startProductProcess, telegramProcessEnv, type ProductProcess } from "../integration/product-process";
import { productEnvFromBench } from "./product-instrumentation";
import { startPostgresCluster, type PostgresCluster } from "../support/postgres-cluster";
import { startFakeTelegramProcess } from "./bench-setup";
import {
  BENCH_ADMIN_TOKEN as ADMIN_TOKEN,
  BENCH_FROM_NUMBER as FROM_NUMBER,
  BENCH_WEBHOOK_BASE as WEBHOOK_BASE,
  countLogs,
  forkBench,
  isPinoError,
  mailbox,
  voiceProductEnv,
} from "./voice-bench-children";
import { runSampleComparison } from "./voice-sample-comparison";
import { commandLine, cpuBetween, readMachineCpu, readProcess, readProcessTree, type ProcessReading } from "./process-stats";
import type { GoRequest, SeedRequest } from "./voice-neighbours";
import type { SteadyCallsRequest, Window } from "./voice-load";
import { epochNow, type TwilioSide } from "./voice-twilio-side";

const argDatabase = process.argv.includes("--database") ? process.argv[process.argv.indexOf("--database") + 1] : undefined;
const DATABASE = (argDatabase ?? process.env.BENCH_DATABASE ?? "sqlite").toLowerCase();
const COMPARE_SAMPLE = process.argv.includes("--compare-sample") || ["1", "true"].includes(process.env.BENCH_COMPARE_SAMPLE ?? "");
const CALLS = Number(process.env.BENCH_CALLS ?? (COMPARE_SAMPLE ? 100 : 50));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2000);
const CHURN = Number(process.env.BENCH_CHURN ?? 2);
const CHURN_SECONDS = Number(process.env.BENCH_CHURN_SECONDS ?? 5);
const API_CLIENTS = Number(process.env.BENCH_API_CLIENTS ?? 16);
const API_THINK_MS = Number(process.env.BENCH_API_THINK_MS ?? 0);
const CAMPAIGN_LEADS = Number(process.env.BENCH_CAMPAIGN_LEADS ?? 3000);
const CAMPAIGN_DRAIN_MS = Number(process.env.BENCH_CAMPAIGN_DRAIN_MS ?? 30_000);
/** How long in-flight work (API requests, churn calls, hang-ups) may take to finish after the window; the rest is reported unfinished. */
const STOP_GRACE_MS = Number(process.env.BENCH_STOP_GRACE_MS ?? 20_000);
const CHAT_BASE = 600_000_000;
const ADMIN_CHAT_ID = 599_999_999;
const TARGETS = { calls: 200, p99_ms: 5, memory_mb_per_call: 2 };
const LOAD_AVERAGE_BEFORE = Math.round(loadavg()[0]! * 100) / 100;
if (DATABASE !== "sqlite" && DATABASE !== "postgres") throw new Error(`--database ${DATABASE}: sqlite or postgres`);
/** Product settings taken from this process's environment when set (e.g. VOICE_AUDIO_PROCESS=false: live audio on the main event loop). */
const passThrough = Object.fromEntries(
  ["VOICE_AUDIO_PROCESS", "VOICE_AUDIO_NICE", "VOICE_AUDIO_REALTIME_PRIORITY", "CAMPAIGN_CONCURRENCY", "LOG_LEVEL"].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const runStarted = performance.now();
/** A progress line on stderr, with the seconds since the run started. */
const progress = (text: string) => console.error(`[${((performance.now() - runStarted) / 1000).toFixed(1)} s] ${text}`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

// --- `--compare-sample`: the product and Twilio's sample bridge, one after the other ------------
if (COMPARE_SAMPLE) {
  const dir = mkdtempSync(join(tmpdir(), "prospecta-bench-voice-"));
  let cluster: PostgresCluster | null = null;
  let exitCode = 0;
  try {
    if (DATABASE === "postgres") cluster = await startPostgresCluster({ database: "prospecta_bench_voice" });
    const comparison = await runSampleComparison({
      calls: CALLS,
      seconds: SECONDS,
      warmupMs: WARMUP_MS,
      graceMs: STOP_GRACE_MS,
      databaseUrl: cluster ? cluster.url : join(dir, "bench.db"),
      passThrough,
      rounds: Number(process.env.BENCH_COMPARE_ROUNDS ?? 3),
      progress,
    });
    console.log(
      JSON.stringify({
        mode: "compare-sample",
        calls: CALLS,
        seconds: SECONDS,
        database: DATABASE,
        product_settings_passed_through: passThrough,
        warmup_ms: WARMUP_MS,
        ...comparison,
        node: process.version,
        cpus: cpus().length,
        load_average_before: LOAD_AVERAGE_BEFORE,
        run_seconds: round((performance.now() - runStarted) / 1000),
      }),
    );
  } catch (error) {
    console.error(error);
    exitCode = 1;
  }
  await cluster?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  process.exit(exitCode);
}

// --- the fakes and the load, each in its own process ------------------------------------------
const telegram = await startFakeTelegramProcess("999:BENCH-VOICE");
const deliveries: { chat_id: number; delivered_at: number }[] = [];
telegram.child.on("message", (message: { type: string; chat_id: number; delivered_at: number }) => {
  if (message.type === "delivered") deliveries.push({ chat_id: message.chat_id, delivered_at: message.delivered_at });
});
const load = forkBench("voice-load.ts");
const fromLoad = mailbox(load, "the load process (voice-load.ts)");
const neighbours = forkBench("voice-neighbours.ts");
const fromNeighbours = mailbox(neighbours, "the neighbours process (voice-neighbours.ts)");
const { realtimeUrl } = await fromLoad<{ realtimeUrl: string }>("ready");
const { twilio } = await fromNeighbours<{ twilio: { apiBase: string; accountSid: string; authToken: string } }>("ready");

let cluster: PostgresCluster | null = null;
let product: ProductProcess | null = null;
const dir = mkdtempSync(join(tmpdir(), "prospecta-bench-voice-"));
const cleanUp = async () => {
  for (const child of [load, neighbours]) if (child.exitCode === null && child.signalCode === null) child.kill();
  if (telegram.child.exitCode === null) telegram.child.kill("SIGTERM");
  await cluster?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
};

try {
  if (DATABASE === "postgres") cluster = await startPostgresCluster({ database: "prospecta_bench_voice" });
  // Steady calls live through both phases: the call limit and the longest call allow them and the churn.
  const maxCalls = CALLS + Math.ceil(CHURN * (CHURN_SECONDS + 10)) + 20;
  const callMinutes = Math.max(10, Math.ceil((4 * SECONDS + CHURN_SECONDS + 300) / 60));
  product = await startProductProcess({
    ...voiceProductEnv({ databaseUrl: cluster ? cluster.url : join(dir, "bench.db"), twilio, realtimeUrl, maxCalls, callMinutes }),
    ...telegramProcessEnv(telegram),
    TELEGRAM_ADMIN_CHAT_ID: String(ADMIN_CHAT_ID),
    // The product gets only the environment given here; these pass through to compare its modes.
    ...passThrough,
    ...productEnvFromBench(),
  }, { compiled: true });
  // The product's logs are counted, and only its error lines kept (the last few): keeping them all would cost this process more than the product.
  const logs = countLogs(product.child, isPinoError);
  const pid = product.child.pid!;
  progress(`the product listens at ${product.baseUrl} (pid ${pid}, ${DATABASE})`);
  const side: TwilioSide = { productUrl: product.baseUrl, webhookBase: WEBHOOK_BASE, accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: FROM_NUMBER };

  /** GET /metrics: the product's own counters; each scrape also restarts its event-loop delay histogram. */
  const scrape = async (): Promise<{ loop: { p50: number; p99: number; max: number } | null; failures: Record<string, number> }> => {
    // A swamped product may take long to answer: a scrape that does not come back in time reads as empty.
    const text = await fetch(`${side.productUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(15_000) })
      .then((response) => response.text())
      .catch(() => "");
    const value = (name: string) => {
      const match = new RegExp(`^prospecta_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, "m").exec(text);
      return match ? round(Number(match[1]) * 1000, 2) : null;
    };
    const [p50, p99, max] = [value("p50"), value("p99"), value("max")];
    const failures = Object.fromEntries([...text.matchAll(/^prospecta_handler_failures_total\{surface="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    return { loop: p50 === null || p99 === null || max === null ? null : { p50, p99, max }, failures };
  };

  // The product's memory, every 200 ms, summed over its process tree.
  const rssSamples: { at: number; mb: number }[] = [];
  const sampler = setInterval(() => rssSamples.push({ at: epochNow(), mb: readProcessTree(pid).reduce((sum, r) => sum + r.rssMb, 0) }), 200);
  const peakRss = (from: number, to: number) => round(Math.max(0, ...rssSamples.filter((s) => s.at >= from && s.at < to).map((s) => s.mb)));

  const commands = new Map<number, string>();
  /** What a process of the product's tree is, from its command line (read while it lives). */
  const describe = (reading: ProcessReading) => {
    if (!commands.has(reading.pid)) commands.set(reading.pid, commandLine(reading.pid));
    const command = commands.get(reading.pid)!;
    const what = reading.pid === pid ? "the product (npm start)" : reading.name === "esbuild" ? "tsx's esbuild service" : `child of the product: ${command.replace(/^\S*node\S* /, "")}`;
    return { pid: reading.pid, what };
  };
  /** The product tree's CPU over a window, per process and summed, in % of one core. */
  const cpuOf = (before: ProcessReading[], after: ProcessReading[], seconds: number) => {
    const used = cpuBetween(before, after);
    const total = used.reduce((sum, r) => sum + r.cpuSeconds, 0);
    return {
      cpu_percent_of_one_core: round((total / seconds) * 100),
      processes: after.map((r, i) => ({ ...describe(r), cpu_percent_of_one_core: round((used[i]!.cpuSeconds / seconds) * 100), rss_mb_at_end: round(r.rssMb) })),
    };
  };
  const benchProcesses = [
    { name: "voice-load (steady calls, fake Realtime)", pid: load.pid! },
    { name: "voice-neighbours (churn, API clients, fake Twilio REST)", pid: neighbours.pid! },
    { name: "fake Telegram", pid: telegram.child.pid! },
  ];
  const ownCpu = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  };
  interface BenchReading {
    processes: number[];
    own: number;
    machine: ReturnType<typeof readMachineCpu>;
    productTree: number;
  }
  const readBench = (): BenchReading => ({
    processes: benchProcesses.map((p) => readProcess(p.pid)?.cpuSeconds ?? 0),
    own: ownCpu(),
    machine: readMachineCpu(),
    productTree: readProcessTree(pid).reduce((sum, r) => sum + r.cpuSeconds, 0),
  });
  /**
   * CPU of the bench's own processes over a window, and of the whole machine: whatever is left
   * after the product and the bench ran on the same cores (other work on a shared machine).
   */
  const benchCpu = (before: BenchReading, after: BenchReading, seconds: number) => {
    const percent = (cpuSeconds: number) => round((cpuSeconds / seconds) * 100);
    const perProcess = benchProcesses.map((p, i) => after.processes[i]! - before.processes[i]!);
    const own = after.own - before.own;
    const machine = after.machine && before.machine ? after.machine.busySeconds - before.machine.busySeconds : null;
    const accounted = perProcess.reduce((sum, value) => sum + value, 0) + own + (after.productTree - before.productTree);
    return {
      bench_processes_cpu_percent_of_one_core: {
        ...Object.fromEntries(benchProcesses.map((p, i) => [p.name, percent(perProcess[i]!)])),
        "voice-bench (this process)": percent(own),
      },
      machine_cpu_percent_of_one_core: {
        cores: cpus().length,
        busy: machine === null ? null : percent(machine),
        other_work_on_the_machine: machine === null ? null : percent(Math.max(0, machine - accounted)),
        load_average_1m_at_end: round(loadavg()[0]!, 2),
      },
    };
  };

  // --- seeding, then the steady calls ---------------------------------------------------------
  const seedRequest: SeedRequest = { type: "seed", side, adminToken: ADMIN_TOKEN, campaignLeads: CAMPAIGN_LEADS, chatBase: CHAT_BASE, clients: 16 };
  neighbours.send(seedRequest);
  const seeded = await fromNeighbours<{ ms: number; campaign_id: number }>("seeded");
  progress(`seeded ${CAMPAIGN_LEADS} waiting leads and campaign #${seeded.campaign_id} over the API in ${seeded.ms} ms`);

  await sleep(500);
  const rssBeforeCallsMb = readProcessTree(pid).reduce((sum, r) => sum + r.rssMb, 0);
  const callsRequest: SteadyCallsRequest = { type: "calls", target: { kind: "product", side, adminToken: ADMIN_TOKEN }, calls: CALLS, warmupMs: WARMUP_MS };
  load.send(callsRequest);
  const streaming = await fromLoad<{ setup_ms: number }>("streaming");
  progress(`${CALLS} steady calls placed, answered and streaming in ${streaming.setup_ms} ms`);
  await sleep(WARMUP_MS);

  // --- phase 1: quiet -------------------------------------------------------------------------
  await scrape();
  let treeBefore = readProcessTree(pid);
  let benchBefore = readBench();
  const quiet: Window = { name: "quiet", from: epochNow(), to: 0 };
  await sleep(SECONDS * 1000);
  quiet.to = epochNow();
  const quietCpu = cpuOf(treeBefore, readProcessTree(pid), (quiet.to - quiet.from) / 1000);
  const quietBench = benchCpu(benchBefore, readBench(), (quiet.to - quiet.from) / 1000);
  const quietLoop = (await scrape()).loop;
  progress(`quiet phase done (${SECONDS} s); starting the neighbours`);

  // --- phase 2: neighbours --------------------------------------------------------------------
  const goRequest: GoRequest = { type: "go", churnPerSecond: CHURN, churnSeconds: CHURN_SECONDS, apiClients: API_CLIENTS, apiThinkMs: API_THINK_MS };
  neighbours.send(goRequest);
  await fromNeighbours("going");
  // Churn reaches its steady population after one call length.
  await sleep(Math.max(1000, CHURN_SECONDS * 1000));
  await scrape();
  treeBefore = readProcessTree(pid);
  benchBefore = readBench();
  const busy: Window = { name: "neighbours", from: epochNow(), to: 0 };
  neighbours.send({ type: "campaign" });
  await sleep(SECONDS * 1000);
  busy.to = epochNow();
  const busyCpu = cpuOf(treeBefore, readProcessTree(pid), (busy.to - busy.from) / 1000);
  const busyBench = benchCpu(benchBefore, readBench(), (busy.to - busy.from) / 1000);
  const busyLoop = (await scrape()).loop;
  const activation = await fromNeighbours<{ requested_at: number; answered_at: number; status: number }>("campaign");

  const isCampaign = (d: { chat_id: number }) => d.chat_id >= CHAT_BASE && d.chat_id < CHAT_BASE + CAMPAIGN_LEADS;
  const campaignTimes = () => deliveries.filter(isCampaign).map((d) => d.delivered_at);
  const sendingTimes = campaignTimes();
  const firstSend = sendingTimes.length ? Math.min(...sendingTimes) : null;
  const lastSendInWindow = sendingTimes.filter((t) => t < busy.to).reduce((a, b) => Math.max(a, b), -Infinity);
  const windows: Window[] = [quiet, busy];
  if (firstSend !== null && lastSendInWindow > firstSend) {
    windows.push({ name: "neighbours_while_campaign_sends", from: Math.max(busy.from, firstSend), to: Math.min(busy.to, lastSendInWindow) });
  }

  progress("neighbours window done; stopping the neighbours (in-flight requests and churn calls end, churn results checked)");
  neighbours.send({ type: "stop", windows, graceMs: STOP_GRACE_MS });
  const neighbourResult = await fromNeighbours<{ [key: string]: any }>("result");
  progress("neighbours stopped; ending the steady calls");
  load.send({ type: "report", windows, graceMs: STOP_GRACE_MS });
  const loadResult = await fromLoad<{ [key: string]: any }>("result");

  // The campaign's messages still going out (for at most CAMPAIGN_DRAIN_MS), then the steady calls' finalisation, before the product stops.
  progress(`steady calls ended; ${campaignTimes().length} of ${CAMPAIGN_LEADS} campaign messages delivered so far`);
  const campaignDeadline = Date.now() + CAMPAIGN_DRAIN_MS;
  while (campaignTimes().length < CAMPAIGN_LEADS && Date.now() < campaignDeadline) await sleep(250);
  await sleep(1000);
  const finalScrape = await scrape();
  clearInterval(sampler);
  const finalTree = readProcessTree(pid);
  const finalProcesses = finalTree.map((r) => ({ ...describe(r), cpu_seconds_total: round(r.cpuSeconds, 2), peak_rss_mb: round(r.peakRssMb) }));
  progress("stopping the product (SIGTERM)");
  const exitCode = await product.stop();

  const allSends = campaignTimes();
  const campaign = {
    leads: CAMPAIGN_LEADS,
    activation_answer_ms: round(activation.answered_at - activation.requested_at),
    activation_status: activation.status,
    delivered_total: allSends.length,
    complete: allSends.length === CAMPAIGN_LEADS,
    delivered_in_neighbours_window: allSends.filter((t) => t >= busy.from && t < busy.to).length,
    activation_to_last_delivery_ms: allSends.length ? round(Math.max(...allSends) - activation.requested_at) : null,
    messages_per_second: allSends.length > 1 ? round((allSends.length / (Math.max(...allSends) - activation.requested_at)) * 1000) : null,
  };
  const adminNotices = deliveries.filter((d) => d.chat_id === ADMIN_CHAT_ID).length;

  const phase = (window: Window, extra: Record<string, unknown>, productLoop?: { p50: number; p99: number; max: number } | null) => {
    const measured = loadResult.windows[window.name];
    return {
      seconds: measured.seconds,
      added_latency_ms: { twilio_to_realtime: measured.twilio_to_realtime, realtime_to_twilio: measured.realtime_to_twilio },
      frames_expected_per_direction: measured.frames_expected_per_direction,
      ...extra,
      inner_loop: {
        note: "diagnostics, not the user's figures: event-loop delay of the product (its /metrics, prom-client, 10 ms resolution) and of the process that measures",
        ...(productLoop !== undefined && { product_event_loop_delay_ms: productLoop }),
        load_process_event_loop_delay_ms: measured.load_process_event_loop_delay_ms,
      },
    };
  };
  const quietPhase = phase(quiet, {
    product: { ...quietCpu, peak_rss_mb: peakRss(quiet.from, quiet.to) },
    ...quietBench,
  }, quietLoop);
  const busyPhase = phase(busy, {
    product: { ...busyCpu, peak_rss_mb: peakRss(busy.from, busy.to) },
    ...busyBench,
    neighbours: { ...neighbourResult.windows.neighbours, campaign_messages_delivered: campaign.delivered_in_neighbours_window },
  }, busyLoop);
  const phases: Record<string, unknown> = { quiet: quietPhase, neighbours: busyPhase };
  const sendWindow = windows.find((w) => w.name === "neighbours_while_campaign_sends");
  if (sendWindow) {
    phases.neighbours_while_campaign_sends = phase(sendWindow, {
      neighbours: { ...neighbourResult.windows.neighbours_while_campaign_sends, campaign_messages_delivered: allSends.filter((t) => t >= sendWindow.from && t < sendWindow.to).length },
    });
  }

  const quietLatency = quietPhase.added_latency_ms;
  const busyLatency = busyPhase.added_latency_ms;
  const p99Of = (latency: typeof quietLatency) => Math.max(latency.twilio_to_realtime.p99 ?? Infinity, latency.realtime_to_twilio.p99 ?? Infinity);
  const memoryPerCallMb = Math.max(0, peakRss(quiet.from, quiet.to) - rssBeforeCallsMb) / CALLS;
  const output = {
    calls: CALLS,
    seconds: SECONDS,
    database: DATABASE,
    product_settings_passed_through: passThrough,
    warmup_ms: WARMUP_MS,
    neighbours_config: { churn_calls_per_second: CHURN, churn_call_seconds: CHURN_SECONDS, api_clients: API_CLIENTS, api_think_ms: API_THINK_MS, campaign_leads: CAMPAIGN_LEADS },
    // Quiet phase, as this bench always reported: frames measured per direction and added latency.
    frames_in: quietLatency.twilio_to_realtime.count,
    frames_out: quietLatency.realtime_to_twilio.count,
    added_latency_ms: quietLatency,
    added_latency_ms_with_neighbours: busyLatency,
    cpu_percent_of_one_core_per_call: round(quietCpu.cpu_percent_of_one_core / CALLS, 3),
    cpu_percent_of_one_core_total: quietCpu.cpu_percent_of_one_core,
    memory_mb_per_call: round(memoryPerCallMb, 3),
    phases,
    neighbours_total: {
      api: neighbourResult.api,
      churn: neighbourResult.churn,
      campaign,
      admin_notices_delivered: adminNotices,
      twilio_calls_placed: neighbourResult.twilio_calls_placed,
    },
    product: {
      rss_mb_before_calls: round(rssBeforeCallsMb),
      peak_rss_mb: round(finalTree.reduce((sum, r) => sum + r.peakRssMb, 0)),
      processes: finalProcesses,
      handler_failures: finalScrape.failures,
      log_mb: round(logs.bytes() / 1024 / 1024),
      error_log_lines: logs.errorLines(),
      last_error_log_lines: logs.lastErrors(),
      exit_code: exitCode,
    },
    steady: { measuring_process_scheduling: loadResult.measuring_process_scheduling, realtime_sessions: loadResult.realtime_sessions, churn_realtime_sessions: loadResult.churn_sessions, hung_up: loadResult.hung_up, hang_up_failures: loadResult.hang_up_failures },
    targets: TARGETS,
    met: { p99: p99Of(quietLatency) < TARGETS.p99_ms, p99_with_neighbours: p99Of(busyLatency) < TARGETS.p99_ms, memory: memoryPerCallMb < TARGETS.memory_mb_per_call },
    node: process.version,
    cpus: cpus().length,
    /** Other work on the machine skews every figure here: the 1-minute load average before the bench started anything. */
    load_average_before: LOAD_AVERAGE_BEFORE,
    run_seconds: round((performance.now() - runStarted) / 1000),
  };
  const line = (name: string, latency: typeof quietLatency) =>
    `${name}: Twilio→Realtime p50 ${latency.twilio_to_realtime.p50} p99 ${latency.twilio_to_realtime.p99} max ${latency.twilio_to_realtime.max} ms (${latency.twilio_to_realtime.count} frames); ` +
    `Realtime→Twilio p50 ${latency.realtime_to_twilio.p50} p99 ${latency.realtime_to_twilio.p99} max ${latency.realtime_to_twilio.max} ms (${latency.realtime_to_twilio.count} frames)`;
  const busyNeighbours = neighbourResult.windows.neighbours;
  console.error(
    [
      `${CALLS} steady calls, ${SECONDS} s per phase, ${DATABASE} (the measuring process on ${loadResult.measuring_process_scheduling}):`,
      `${line("quiet     ", quietLatency)}; product CPU ${quietCpu.cpu_percent_of_one_core}% of a core`,
      `${line("neighbours", busyLatency)}; product CPU ${busyCpu.cpu_percent_of_one_core}% of a core`,
      `neighbours in their window: ${busyNeighbours.api.requests_per_second} API requests/s (p99 ${busyNeighbours.api.latency_ms.p99} ms, ${busyNeighbours.api.errors} errors), ` +
        `${busyNeighbours.churn.calls_started} churn calls started, ${busyNeighbours.churn.calls_ended} ended, ${campaign.delivered_in_neighbours_window} campaign messages delivered ` +
        `(${campaign.delivered_total}/${CAMPAIGN_LEADS} by the end, the last ${campaign.activation_to_last_delivery_ms} ms after activation); churn calls finalised: ${neighbourResult.churn.finalised_with_summary_within_grace}/${neighbourResult.churn.ended}`,
      `product peak RSS ${output.product.peak_rss_mb} MB over ${finalTree.length} process(es); quiet-phase memory per call ${output.memory_mb_per_call} MB`,
    ].join("\n"),
  );
  console.log(JSON.stringify(output));
  await cleanUp();
  // The product's own exit code is in the output: a run that produced its figures is a complete run.
  process.exit(0);
} catch (error) {
  console.error(error);
  await product?.stop().catch(() => null);
  await cleanUp();
  process.exit(1);
}
