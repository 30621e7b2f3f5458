/**
 * `npm run bench:voice -- --compare-sample` (or BENCH_COMPARE_SAMPLE=1): the
 * product's live-call latency side by side with Twilio's sample bridge
 * (test/bench/twilio-sample-bridge.ts) in one harness, on the same machine,
 * one after the other.
 *
 * Each bridge gets a fresh load process (test/bench/voice-load.ts: the fake
 * Realtime server and Twilio's side of BENCH_CALLS steady calls) and runs in
 * its own process, pointed at that fake: first the sample, whose streams are
 * opened straight at its /media-stream (it places no calls: `connected`,
 * `start`, then media), then the product started as `npm start` starts it,
 * whose calls are placed over the admin API and answered through signed
 * webhooks as in the normal mode. From the first frame on, both get the same
 * load and the same measurement, in the same code: 20 ms frames both ways,
 * Twilio frame sent → append received at the fake, model delta sent by the
 * fake → media received on Twilio's side, on the load process's clock, from
 * calls at least BENCH_WARMUP_MS old, over a BENCH_SECONDS window (the quiet
 * phase only: no neighbours). The fake Twilio REST API the product places its
 * calls through runs in this process: it only serves the call placements,
 * before the window.
 *
 * Reported per bridge: added latency per direction (p50, p99, max), the
 * bridge's CPU (its process tree) and memory per call, the load process's own
 * event-loop delay, the machine's busy CPU and load average (other work on a
 * shared machine skews both bridges' figures, and not equally, since they run
 * one after the other); then the ratio Prospecta/sample per direction.
 *
 * Other work on the machine comes and goes within a minute, and one pair of
 * runs moved the p99 ratio from ×0.8 to ×1.6 from one run to the next. So the
 * pair is run BENCH_COMPARE_ROUNDS times (3), in alternating order (sample
 * first, then Prospecta first, ...) so that a drift favours neither; each
 * round's ratio is reported, and the comparison is their median.
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { startFakeTwilio, type FakeTwilio } from "../fakes/twilio-rest";
import { startProductProcess } from "../integration/product-process";
import { median } from "./bench-product";
import { productEnvFromBench } from "./product-instrumentation";
import {
  BENCH_ADMIN_TOKEN,
  BENCH_FROM_NUMBER,
  BENCH_WEBHOOK_BASE,
  countLogs,
  forkBench,
  isPinoError,
  mailbox,
  voiceProductEnv,
  type LogCount,
} from "./voice-bench-children";
import type { SteadyCallsRequest, SteadyTarget, Window } from "./voice-load";
import { commandLine, cpuBetween, readMachineCpu, readProcess, readProcessTree } from "./process-stats";
import { epochNow } from "./voice-twilio-side";

export interface ComparisonOptions {
  calls: number;
  seconds: number;
  warmupMs: number;
  /** How long the steady calls' hang-ups may take after the window. */
  graceMs: number;
  /** DATABASE_URL for the product (a SQLite file or a PostgreSQL URL). */
  databaseUrl: string;
  /** Product settings passed through from the bench's environment. */
  passThrough: Record<string, string>;
  /** How many times both bridges are measured, in alternating order. */
  rounds: number;
  progress(text: string): void;
}

type Percentiles = { p50: number | null; p99: number | null; max: number | null; count: number };
interface AddedLatency {
  twilio_to_realtime: Percentiles;
  realtime_to_twilio: Percentiles;
}

/** A bridge running in its own process, pointed at the load process's fake Realtime. */
interface RunningBridge {
  pid: number;
  target: SteadyTarget;
  logs: LogCount;
  /** Stops it; resolves with its exit code. */
  stop(): Promise<number | null>;
}

const SAMPLE_ACCOUNT_SID = "AC00000000000000000000000000000001";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function startSample(realtimeUrl: string): Promise<RunningBridge> {
  const child = forkBench("twilio-sample-bridge.ts", { env: { PATH: process.env.PATH ?? "", OPENAI_API_KEY: "sk-bench", OPENAI_REALTIME_URL: realtimeUrl }, quiet: true });
  // The sample's console lines are counted as the product's are; what it prints on stderr is its errors.
  const logs = countLogs(child, (_line, stream) => stream === "stderr");
  const { url } = await mailbox(child, "the sample bridge (twilio-sample-bridge.ts)")<{ url: string }>("listening");
  return {
    pid: child.pid!,
    target: { kind: "stream", streamUrl: `${url.replace(/^http/, "ws")}/media-stream`, accountSid: SAMPLE_ACCOUNT_SID },
    logs,
    // The sample has no shutdown of its own: it exits when the bench lets go of it.
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
        child.once("exit", (code) => done(code));
        child.disconnect();
      }),
  };
}

async function startProspecta(realtimeUrl: string, twilio: FakeTwilio, options: ComparisonOptions): Promise<RunningBridge> {
  const product = await startProductProcess({
    ...voiceProductEnv({
      databaseUrl: options.databaseUrl,
      twilio,
      realtimeUrl,
      maxCalls: options.calls + 20,
      callMinutes: Math.max(10, Math.ceil((2 * options.seconds + 300) / 60)),
    }),
    // The steady calls are placed at any hour, as in the normal mode (which lifts quiet hours with Telegram's settings).
    QUIET_HOURS: "",
    ...options.passThrough,
    ...productEnvFromBench(),
    // BENCH_CPU_PROF_DIR: the product, and its live-audio child (fork hands it the same flags), write V8 CPU profiles there.
  }, { compiled: true, nodeArgs: process.env.BENCH_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [] });
  return {
    pid: product.child.pid!,
    target: {
      kind: "product",
      side: { productUrl: product.baseUrl, webhookBase: BENCH_WEBHOOK_BASE, accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: BENCH_FROM_NUMBER },
      adminToken: BENCH_ADMIN_TOKEN,
    },
    logs: countLogs(product.child, isPinoError),
    stop: () => product.stop(),
  };
}

/** The steady calls against one bridge, from a fresh load process: its window's figures. */
async function measure(name: string, start: (realtimeUrl: string) => Promise<RunningBridge>, options: ComparisonOptions, numberFrom: number) {
  const load = forkBench("voice-load.ts");
  const fromLoad = mailbox(load, `the load process for ${name} (voice-load.ts)`);
  const loadExited = new Promise<void>((resolve) => load.once("exit", () => resolve()));
  let bridge: RunningBridge | null = null;
  let stopped = false;
  try {
    const { realtimeUrl } = await fromLoad<{ realtimeUrl: string }>("ready");
    bridge = await start(realtimeUrl);
    const { pid, logs } = bridge;
    options.progress(`${name} listens (pid ${pid}); opening ${options.calls} steady calls`);
    const treeRss = () => readProcessTree(pid).reduce((sum, r) => sum + r.rssMb, 0);
    const rssBeforeCallsMb = treeRss();
    const request: SteadyCallsRequest = { type: "calls", target: bridge.target, calls: options.calls, warmupMs: options.warmupMs, numberFrom };
    load.send(request);
    const streaming = await fromLoad<{ setup_ms: number }>("streaming");
    options.progress(`${name}: ${options.calls} steady calls streaming in ${streaming.setup_ms} ms; warm-up ${options.warmupMs} ms, then ${options.seconds} s measured`);
    await sleep(options.warmupMs);

    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(treeRss()), 200);
    const read = () => {
      const tree = readProcessTree(pid);
      return { processes: tree, tree: tree.reduce((sum, r) => sum + r.cpuSeconds, 0), load: readProcess(load.pid!)?.cpuSeconds ?? 0, machine: readMachineCpu() };
    };
    const before = read();
    const window: Window = { name: "steady", from: epochNow(), to: 0 };
    await sleep(options.seconds * 1000);
    window.to = epochNow();
    const after = read();
    clearInterval(sampler);
    const loadAverageAtEnd = round(loadavg()[0]!, 2);
    const seconds = (window.to - window.from) / 1000;
    const percent = (cpuSeconds: number) => round((cpuSeconds / seconds) * 100);
    // Each process of the bridge's tree (the product's audio process apart from the product), named by its command line.
    const processes = cpuBetween(before.processes, after.processes).map((r) => ({
      pid: r.pid,
      command: commandLine(r.pid).replace(/^\S*node\S* (--\S+ \S+ )*/, "") || r.name,
      cpu_percent_of_one_core: percent(r.cpuSeconds),
    }));
    const machineBusy = after.machine && before.machine ? after.machine.busySeconds - before.machine.busySeconds : null;
    const benchCpu = after.tree - before.tree + (after.load - before.load);

    load.send({ type: "report", windows: [window], graceMs: options.graceMs });
    const result = await fromLoad<{ windows: Record<string, any>; measuring_process_scheduling: string; realtime_sessions: number; hung_up: number; hang_up_failures: string[] }>("result");
    const measured = result.windows[window.name];
    await loadExited;
    // The hung-up calls end (and the product's are finalised) before the bridge stops; none of it is measured.
    await sleep(1000);
    stopped = true;
    const exitCode = await bridge.stop();
    const peakRssMb = Math.max(0, ...rssSamples);
    return {
      added_latency_ms: { twilio_to_realtime: measured.twilio_to_realtime, realtime_to_twilio: measured.realtime_to_twilio } as AddedLatency,
      seconds: measured.seconds,
      frames_expected_per_direction: measured.frames_expected_per_direction,
      bridge: {
        processes,
        cpu_percent_of_one_core: percent(after.tree - before.tree),
        peak_rss_mb: round(peakRssMb),
        memory_mb_per_call: round(Math.max(0, peakRssMb - rssBeforeCallsMb) / options.calls, 3),
        log_mb: round(logs.bytes() / 1024 / 1024, 2),
        error_log_lines: logs.errorLines(),
        last_error_log_lines: logs.lastErrors(),
        exit_code: exitCode,
      },
      load_process_cpu_percent_of_one_core: percent(after.load - before.load),
      machine: {
        busy_cpu_percent_of_one_core: machineBusy === null ? null : percent(machineBusy),
        // Busy CPU besides this bridge and the load process (the bench's own process sleeps through the window).
        other_work_cpu_percent_of_one_core: machineBusy === null ? null : percent(Math.max(0, machineBusy - benchCpu)),
        load_average_1m_at_end: loadAverageAtEnd,
      },
      inner_loop: { note: "diagnostics, not the user's figures: the measuring process's event-loop delay", load_process_event_loop_delay_ms: measured.load_process_event_loop_delay_ms },
      steady: { measuring_process_scheduling: result.measuring_process_scheduling, realtime_sessions: result.realtime_sessions, hung_up: result.hung_up, hang_up_failures: result.hang_up_failures },
    };
  } finally {
    if (bridge && !stopped) await bridge.stop().catch(() => null);
    if (load.exitCode === null && load.signalCode === null) load.kill();
  }
}

/** Prospecta's figure over the sample's, two decimals; null when either is missing or the sample's is 0. */
const ratio = (prospecta: number | null, sample: number | null) => (prospecta === null || sample === null || sample === 0 ? null : round(prospecta / sample, 2));

type Measured = Awaited<ReturnType<typeof measure>>;
const DIRECTIONS = ["twilio_to_realtime", "realtime_to_twilio"] as const;
type Ratios = Record<keyof AddedLatency, { p50: number | null; p99: number | null }>;

function ratiosOf(prospecta: Measured, sample: Measured): Ratios {
  return Object.fromEntries(
    DIRECTIONS.map((direction) => {
      const [p, s] = [prospecta.added_latency_ms[direction], sample.added_latency_ms[direction]];
      return [direction, { p50: ratio(p.p50, s.p50), p99: ratio(p.p99, s.p99) }];
    }),
  ) as Ratios;
}

/** The rounds' median ratio; null when a round has none. */
function medianRatio(values: (number | null)[]): number | null {
  if (values.length === 0 || values.some((value) => value === null)) return null;
  return round(median(values as number[]), 2);
}

/** Both bridges measured in turn, `rounds` times: each round's figures and ratios, their median, and a summary on stderr. */
export async function runSampleComparison(options: ComparisonOptions) {
  const twilio = await startFakeTwilio();
  const rounds: { first: "sample" | "Prospecta"; sample: Measured; prospecta: Measured; ratio_prospecta_over_sample: Ratios }[] = [];
  try {
    for (let turn = 0; turn < options.rounds; turn++) {
      const measureSample = () => measure("Twilio's sample bridge", startSample, options, 0);
      // Each of Prospecta's rounds places its calls to leads of its own: the database is the same.
      const measureProspecta = () => measure("Prospecta", (realtimeUrl) => startProspecta(realtimeUrl, twilio, options), options, turn * options.calls);
      const sampleFirst = turn % 2 === 0;
      options.progress(`round ${turn + 1} of ${options.rounds}: ${sampleFirst ? "the sample bridge, then Prospecta" : "Prospecta, then the sample bridge"}`);
      let sample: Measured;
      let prospecta: Measured;
      if (sampleFirst) {
        sample = await measureSample();
        prospecta = await measureProspecta();
      } else {
        prospecta = await measureProspecta();
        sample = await measureSample();
      }
      rounds.push({ first: sampleFirst ? "sample" : "Prospecta", sample, prospecta, ratio_prospecta_over_sample: ratiosOf(prospecta, sample) });
    }
  } finally {
    await twilio.close();
  }
  const ratios = Object.fromEntries(
    DIRECTIONS.map((direction) => [
      direction,
      {
        p50: medianRatio(rounds.map((r) => r.ratio_prospecta_over_sample[direction].p50)),
        p99: medianRatio(rounds.map((r) => r.ratio_prospecta_over_sample[direction].p99)),
      },
    ]),
  ) as Ratios;

  // Frames the load could not send or receive in time mean the bridges did not get the same load: say so beside the figures.
  const warnings = rounds.flatMap(({ sample, prospecta }, i) =>
    ([
      ["sample", sample],
      ["Prospecta", prospecta],
    ] as const).flatMap(([name, { added_latency_ms: latency, frames_expected_per_direction: expected }]) => {
      const least = Math.min(latency.twilio_to_realtime.count, latency.realtime_to_twilio.count);
      return least < 0.95 * expected
        ? [`round ${i + 1}, ${name}: only ${least} of ${expected} frames measured in a direction (the load or the machine did not keep up); the two runs are not like for like`]
        : [];
    }),
  );
  const line = (name: string, figures: Measured) => {
    const { twilio_to_realtime: inbound, realtime_to_twilio: outbound } = figures.added_latency_ms;
    const of = ` of ${figures.frames_expected_per_direction}`;
    return (
      `${name} Twilio→Realtime p50 ${inbound.p50} p99 ${inbound.p99} max ${inbound.max} ms (${inbound.count}${of} frames); ` +
      `Realtime→Twilio p50 ${outbound.p50} p99 ${outbound.p99} max ${outbound.max} ms (${outbound.count}${of} frames); ` +
      `bridge CPU ${figures.bridge.cpu_percent_of_one_core}% of a core, machine busy ${figures.machine.busy_cpu_percent_of_one_core}% (other work ${figures.machine.other_work_cpu_percent_of_one_core}%), load average ${figures.machine.load_average_1m_at_end}`
    );
  };
  const ratioLine = (r: Ratios) =>
    `Twilio→Realtime p50 ×${r.twilio_to_realtime.p50} p99 ×${r.twilio_to_realtime.p99}; Realtime→Twilio p50 ×${r.realtime_to_twilio.p50} p99 ×${r.realtime_to_twilio.p99}`;
  console.error(
    [
      `${options.calls} steady calls, ${options.seconds} s after a ${options.warmupMs} ms warm-up, each bridge in turn, ${options.rounds} rounds:`,
      ...rounds.flatMap((r, i) => [
        `round ${i + 1} (${r.first} first)`,
        line("  sample    ", r.sample),
        line("  Prospecta ", r.prospecta),
        `  Prospecta/sample: ${ratioLine(r.ratio_prospecta_over_sample)}`,
      ]),
      `Prospecta/sample, median of the rounds: ${ratioLine(ratios)}`,
      ...warnings.map((warning) => `warning: ${warning}`),
    ].join("\n"),
  );
  return {
    rounds,
    ratio_prospecta_over_sample: ratios,
    target: "Prospecta's steady-state p99 added latency, each direction, no worse than the sample's (the median of the rounds' ratios)",
    // A direction with no frames measured on either side is not met.
    met: { p99_no_worse_than_sample: Object.values(ratios).every((r) => r.p99 !== null && r.p99 <= 1) },
    warnings,
  };
}
