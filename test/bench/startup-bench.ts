/**
 * `npm run bench:startup [-- --runs 5]`: how long the product takes from its start until
 * /healthz answers, run from its TypeScript sources with tsx (what `npm start` was) and
 * compiled (what `npm start` is: node scripts/start.mjs on an up-to-date dist/).
 *
 * Each start is a new process on a fresh SQLite database (migrated and seeded by that
 * start), with ADMIN_API_TOKEN set and a fixed PORT; this process polls /healthz every
 * 20 ms from the moment it spawns it, then stops it with SIGTERM (counting exits other than 0).
 * Two settings: the default one, and with Twilio voice configured (against a local fake),
 * where start-up also forks the live-audio process and waits until it is ready. Runs
 * alternate between the two ways to start, after one warm-up of each that is not counted
 * (it also builds dist/ when it is stale; a timed start that found it stale again, a source
 * saved meanwhile, is done again). Besides wall time, the CPU time of the process
 * tree at that moment (tsx's esbuild service and the audio process included) is given:
 * it says the same on a machine that is busy with other work.
 *
 * The compiled starts run plain node, with an environment of their own: nothing of tsx
 * (which runs this script) reaches them. Prints a table to stderr and one JSON object as
 * the last line of stdout.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startFakeTwilio, type FakeTwilio } from "../fakes/twilio-rest";
import { twilioVoiceProcessEnv } from "../integration/product-process";
import { median } from "./bench-product";
import { readProcessTree } from "./process-stats";

const ROOT = resolve(import.meta.dirname, "../..");
const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, port: { type: "string", default: "39517" } } });
const RUNS = Number(values.runs);
const PORT = Number(values.port);
const POLL_MS = 20;
const GIVE_UP_MS = 120_000;

type Way = "tsx" | "compiled";
const COMMANDS: Record<Way, string[]> = {
  // What `npm start` ran before (npm's own start-up, the same for both, left out).
  tsx: [join(ROOT, "node_modules", ".bin", "tsx"), "src/main.ts"],
  compiled: [process.execPath, "scripts/start.mjs"],
};

interface Start {
  ms: number;
  cpuMs: number;
  /** scripts/start.mjs found dist/ stale (a source saved meanwhile) and compiled it first. */
  rebuilt: boolean;
  /** What SIGTERM ended it with: 0 is the product's clean shutdown. */
  exitCode: number | null;
}

async function healthzAnswers(): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${PORT}/healthz`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function startOnce(way: Way, settingEnv: Record<string, string>): Promise<Start> {
  if (await healthzAnswers()) throw new Error(`something already answers on port ${PORT}`);
  const dir = mkdtempSync(join(tmpdir(), "prospecta-startup-bench-"));
  const [command, ...args] = COMMANDS[way];
  const started = performance.now();
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? dir,
      HOST: "127.0.0.1",
      PORT: String(PORT),
      DATABASE_URL: join(dir, "prospecta.db"),
      ADMIN_API_TOKEN: "startup-bench-admin-token-0123456789",
      LOG_LEVEL: "warn",
      ...settingEnv,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${way} exited before answering: ${stderr}`);
      if (performance.now() - started > GIVE_UP_MS) throw new Error(`${way}: no /healthz after ${GIVE_UP_MS} ms`);
      if (await healthzAnswers()) break;
      await new Promise((wait) => setTimeout(wait, POLL_MS));
    }
    const ms = performance.now() - started;
    const cpuMs = readProcessTree(child.pid!).reduce((sum, reading) => sum + reading.cpuSeconds, 0) * 1000;
    child.kill("SIGTERM");
    const exitCode = await exited;
    return { ms, cpuMs, rebuilt: stderr.includes("Compilando Prospecta"), exitCode };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A start that compiled dist/ first is not what is measured: it is done again. */
async function timedStart(way: Way, env: Record<string, string>): Promise<Start> {
  for (let attempt = 1; ; attempt++) {
    const start = await startOnce(way, env);
    if (!start.rebuilt) return start;
    if (attempt === 3) throw new Error("dist/ was stale at every start: are the sources being saved all the time?");
    process.stderr.write("  (a source changed: dist/ was compiled again; that start is not counted)\n");
  }
}

function summary(starts: Start[]) {
  const ms = starts.map((start) => start.ms);
  const round = (value: number) => Math.round(value);
  return {
    median_ms: round(median(ms)),
    min_ms: round(Math.min(...ms)),
    max_ms: round(Math.max(...ms)),
    cpu_median_ms: round(median(starts.map((start) => start.cpuMs))),
    runs_ms: ms.map(round),
    // tsx's CLI waits 30 ms for its child to acknowledge a relayed SIGTERM, then kills it (exit 143):
    // on a busy machine the product's clean shutdown can be cut that way.
    unclean_exits: starts.filter((start) => start.exitCode !== 0).length,
  };
}

async function benchSetting(name: string, env: Record<string, string>) {
  process.stderr.write(`${name}: warm-up…\n`);
  for (const way of ["compiled", "tsx"] as const) await startOnce(way, env);
  const starts: Record<Way, Start[]> = { tsx: [], compiled: [] };
  for (let run = 0; run < RUNS; run++) {
    const order: Way[] = run % 2 === 0 ? ["tsx", "compiled"] : ["compiled", "tsx"];
    for (const way of order) starts[way].push(await timedStart(way, env));
    process.stderr.write(`${name}: run ${run + 1}/${RUNS}\n`);
  }
  const tsx = summary(starts.tsx);
  const compiled = summary(starts.compiled);
  return { tsx, compiled, saved_median_ms: tsx.median_ms - compiled.median_ms };
}

const twilio: FakeTwilio = await startFakeTwilio();
try {
  const loadBefore = loadavg()[0]!;
  const results = {
    default: await benchSetting("default", {}),
    voice: await benchSetting("voice (audio process)", twilioVoiceProcessEnv(twilio)),
  };
  process.stderr.write(`\nstart until /healthz answers, ${RUNS} runs each (median, min–max; CPU of the process tree, median)\n`);
  for (const [setting, result] of Object.entries(results)) {
    for (const way of ["tsx", "compiled"] as const) {
      const r = result[way];
      const unclean = r.unclean_exits ? `  ${r.unclean_exits} SIGTERM not ending in exit 0` : "";
      process.stderr.write(`  ${setting.padEnd(8)} ${way.padEnd(9)} ${String(r.median_ms).padStart(6)} ms  (${r.min_ms}–${r.max_ms})  CPU ${r.cpu_median_ms} ms${unclean}\n`);
    }
  }
  const machine = { cpus: cpus().length, load_1m_before: Number(loadBefore.toFixed(2)), load_1m_after: Number(loadavg()[0]!.toFixed(2)), node: process.version };
  console.log(JSON.stringify({ bench: "startup", runs: RUNS, poll_ms: POLL_MS, ...results, machine }));
} finally {
  await twilio.close();
}
