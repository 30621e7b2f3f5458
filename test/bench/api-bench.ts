/**
 * `npm run bench:api [-- --database sqlite|postgres]`: the admin API as an agency's
 * systems use it, through the front door.
 *
 * The product runs as `npm start` runs it, in its own process (see bench-product.ts),
 * on SQLite and on PostgreSQL (both by default when PostgreSQL is installed). Before it
 * starts, BENCH_LEADS (100,000) leads with their stage history are written into its
 * database, as a year of an agency's work would have left them. Then, from this
 * process, over HTTP with keep-alive:
 * 1. Creation: BENCH_CLIENTS (16) clients create BENCH_CREATE_LEADS (20,000) new leads
 *    back to back (POST /leads); meanwhile one more client moves waiting leads from
 *    entrada to perfilamiento back to back (POST /pipeline/leads/{id}/move-stage), so
 *    each move is timed under the creation load.
 * 2. Reads, 3 s after the creation phase, one request at a time, BENCH_ITERATIONS (300) of each after a warm-up:
 *    /pipeline/metrics; a stage page first, at skip=10000, in the middle and at its last page; lead
 *    search q= by a full name typed without accents, a common first name, phone digits
 *    and an e-mail.
 * Every time is from the request's start to the full answer read. The product's peak
 * RSS is read from /proc at the end of each database's run.
 * Prints tables to stderr and one JSON object, carrying every database, as the last
 * line of stdout; exits non-zero only if a request fails or the product answers
 * something other than what was asked, never for a missed target.
 */
import { cpus, loadavg } from "node:os";
import { benchDatabases, httpCall, seededRandom, latencyOf, openBenchStore, settleAfterSeeding, startBenchProduct, stopBenchProduct, type BenchDatabase, type BenchStore, type Latency } from "./bench-product";
import { readProcessTree } from "./process-stats";
import { FIRST_NAMES, LAST_NAMES, LOCATIONS, SOURCES, seedLeads, seededName, seededPhone } from "./seeded-leads";

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const CREATE_LEADS = Number(process.env.BENCH_CREATE_LEADS ?? 20_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const WARMUP = 20;
const SETTLE_MS = 3000;
const PAGE = 50;
const TARGETS = {
  sqlite_leads_per_second: 1000,
  postgres_leads_per_second: 600,
  move_p95_ms: 20,
  stage_page_p95_ms: 10,
  search_p95_ms: 20,
  metrics_p95_ms: 50,
  peak_rss_mb: 300,
};
const rand = seededRandom(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

/** One keep-alive HTTP call to the admin API; anything but `expected` fails the run with the answer. */
async function call(base: string, method: "GET" | "POST", path: string, expected: number, body?: unknown): Promise<any> {
  const { status, text } = await httpCall(base, method, `/api/v1${path}`, body);
  if (status !== expected) throw new Error(`${method} ${path} answered ${status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const elapsedMs = (started: number) => performance.now() - started;
const productCpuSeconds = (pid: number) => readProcessTree(pid).reduce((sum, process) => sum + process.cpuSeconds, 0);

interface CreationResult {
  created: number;
  seconds: number;
  leads_per_second: number;
  /** The product's CPU time (user + system, all its processes) per request in this phase: what bounds its rate on a busy machine. */
  product_cpu_ms_per_request: number;
  create: Latency;
  moves: number;
  move: Latency;
}

/** Phase 1: CLIENTS creators until CREATE_LEADS exist, and one mover timing each stage move under that load. */
async function creationUnderLoad(base: string, productPid: number, waitingIds: number[]): Promise<CreationResult> {
  let next = 0;
  let creating = true;
  const createTimes: number[] = [];
  const moveTimes: number[] = [];
  const creator = async () => {
    for (let i = next++; i < CREATE_LEADS; i = next++) {
      const started = performance.now();
      await call(base, "POST", "/leads", 201, {
        name: `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)} Nuevo ${i}`,
        phone: `+52156${String(i).padStart(8, "0")}`,
        email: `nuevo${i}@correo.example`,
        source: pick(SOURCES),
        budget_max: 3_500_000,
        location: pick(LOCATIONS),
      });
      createTimes.push(elapsedMs(started));
    }
  };
  const mover = async () => {
    for (const id of waitingIds) {
      if (!creating) return;
      const started = performance.now();
      await call(base, "POST", `/pipeline/leads/${id}/move-stage`, 200, { new_stage: "perfilamiento", reason: "Lead respondió inicial" });
      moveTimes.push(elapsedMs(started));
    }
  };
  const cpuBefore = productCpuSeconds(productPid);
  const started = performance.now();
  const moving = mover();
  await Promise.all(Array.from({ length: CLIENTS }, creator));
  const seconds = elapsedMs(started) / 1000;
  creating = false;
  await moving;
  const cpuMs = (productCpuSeconds(productPid) - cpuBefore) * 1000;
  return {
    created: createTimes.length,
    seconds: Math.round(seconds * 100) / 100,
    leads_per_second: Math.round(createTimes.length / seconds),
    product_cpu_ms_per_request: Math.round((cpuMs / (createTimes.length + moveTimes.length)) * 100) / 100,
    create: latencyOf(createTimes),
    moves: moveTimes.length,
    move: latencyOf(moveTimes),
  };
}

/** GETs `path` WARMUP times, then ITERATIONS times one after the other; `check` validates each answer. */
async function measureRead(base: string, path: string, check: (body: any) => void): Promise<Latency> {
  for (let i = 0; i < WARMUP; i++) check(await call(base, "GET", path, 200));
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const started = performance.now();
    const body = await call(base, "GET", path, 200);
    samples.push(elapsedMs(started));
    if (i === 0) check(body);
  }
  return latencyOf(samples);
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`the product's answer was wrong: ${what}`);
}

/** Phase 2: the reads an agency's dashboard makes all day, at full size. */
async function reads(base: string, totalLeads: number): Promise<Record<string, { path: string } & Latency>> {
  const stagePath = (skip: number) => `/pipeline/stages/perfilamiento/leads?skip=${skip}&limit=${PAGE}`;
  const stageTotal = (await call(base, "GET", stagePath(0), 200)).total as number;
  const lastPage = Math.max(0, Math.floor((stageTotal - 1) / PAGE) * PAGE);
  const middlePage = Math.floor(stageTotal / 2 / PAGE) * PAGE;
  const rareIndex = Math.min(4711, Math.floor(LEADS / 2));
  const rareName = seededName(rareIndex).normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase(); // typed as people do
  const cases: Record<string, { path: string; check: (body: any) => void }> = {
    metrics: { path: "/pipeline/metrics", check: (body) => expect(body.totals?.leads === totalLeads, `metrics counted ${body.totals?.leads} leads, not ${totalLeads}`) },
    stage_page_first: { path: stagePath(0), check: (body) => expect(body.items.length === Math.min(PAGE, stageTotal), "first page not full") },
    stage_page_skip_10000: { path: stagePath(10_000), check: (body) => expect(stageTotal <= 10_000 || body.items.length > 0, "page at 10000 empty") },
    // Pages are read from the nearer end of the stage (listLeadsInStage): the middle one walks the most.
    stage_page_middle: { path: stagePath(middlePage), check: (body) => expect(body.items.length === Math.min(PAGE, stageTotal - middlePage), "middle page not full") },
    stage_page_last: { path: stagePath(lastPage), check: (body) => expect(body.items.length === stageTotal - lastPage, `last page had ${body.items.length}`) },
    search_full_name: {
      path: `/leads?q=${encodeURIComponent(rareName)}&limit=${PAGE}`,
      check: (body) => expect(body.items.some((lead: { phone: string }) => lead.phone === seededPhone(rareIndex)), `"${rareName}" did not find lead ${rareIndex + 1}`),
    },
    search_first_name: { path: `/leads?q=jose&limit=${PAGE}`, check: (body) => expect(body.items.length === PAGE && /José/.test(body.items[0].name), `"jose" found ${body.items.length}`) },
    search_phone_digits: {
      path: `/leads?q=${seededPhone(rareIndex).slice(-7)}&limit=${PAGE}`,
      check: (body) => expect(body.items.some((lead: { phone: string }) => lead.phone === seededPhone(rareIndex)), "phone digits did not find the lead"),
    },
    search_email: {
      path: `/leads?q=${encodeURIComponent(`nuevo${Math.floor(CREATE_LEADS / 2)}@correo`)}&limit=${PAGE}`,
      check: (body) => expect(body.items.length >= 1, "the e-mail of a lead created over the API was not found"),
    },
  };
  const results: Record<string, { path: string } & Latency> = {};
  for (const [name, { path, check }] of Object.entries(cases)) results[name] = { path, ...(await measureRead(base, path, check)) };
  return results;
}

async function runOn(kind: BenchDatabase) {
  const store = await openBenchStore(kind, "api");
  try {
    let started = performance.now();
    const historyRows = await seedLeads(store, LEADS, Date.now(), rand);
    await settleAfterSeeding(store);
    const seedMs = Math.round(elapsedMs(started));
    console.error(`[${kind}] seeded ${LEADS} leads and ${historyRows} history rows in ${seedMs} ms`);
    const waitingIds = (await store.raw.query<{ id: number }>("SELECT id FROM leads WHERE pipeline_stage = 'entrada' ORDER BY id")).map((row) => row.id);

    started = performance.now();
    const product = await startBenchProduct(store);
    const startMs = Math.round(elapsedMs(started));
    try {
      const creation = await creationUnderLoad(product.baseUrl, product.child.pid!, waitingIds);
      console.error(
        `[${kind}] created ${creation.created} leads in ${creation.seconds} s = ${creation.leads_per_second}/s; ${creation.moves} moves under that load; ` +
          `product CPU ${creation.product_cpu_ms_per_request} ms per request`,
      );
      // Reads are timed one at a time, on a product at rest: the creation phase's last WAL checkpoint
      // and collections get a moment to finish first, as they would between an agency's bursts.
      await new Promise((settle) => setTimeout(settle, SETTLE_MS));
      const readResults = await reads(product.baseUrl, LEADS + CREATE_LEADS);
      const tree = readProcessTree(product.child.pid!);
      const peakRssMb = Math.round(Math.max(0, ...tree.map((process) => process.peakRssMb)));
      return { leads: LEADS + CREATE_LEADS, seeded_leads: LEADS, history_rows: historyRows, seed_ms: seedMs, start_ms: startMs, creation, reads: readResults, product_peak_rss_mb: peakRssMb };
    } finally {
      await stopBenchProduct(product, kind);
    }
  } finally {
    await store.cleanUp();
  }
}

type RunResult = Awaited<ReturnType<typeof runOn>>;

function metOn(kind: BenchDatabase, result: RunResult) {
  const worstOf = (prefix: string) => Math.max(...Object.entries(result.reads).filter(([name]) => name.startsWith(prefix)).map(([, latency]) => latency.p95_ms));
  return {
    leads_per_second: result.creation.leads_per_second >= (kind === "sqlite" ? TARGETS.sqlite_leads_per_second : TARGETS.postgres_leads_per_second),
    move_p95: result.creation.move.p95_ms < TARGETS.move_p95_ms,
    stage_page_p95: worstOf("stage_page") < TARGETS.stage_page_p95_ms,
    search_p95: worstOf("search") < TARGETS.search_p95_ms,
    metrics_p95: result.reads.metrics!.p95_ms < TARGETS.metrics_p95_ms,
    peak_rss: result.product_peak_rss_mb < TARGETS.peak_rss_mb,
  };
}

function printTable(kind: BenchDatabase, result: RunResult, met: Record<string, boolean>): void {
  const cell = (value: number | string) => (typeof value === "number" ? value.toFixed(2) : value).padStart(9);
  const row = (label: string, latency: Latency) => console.error(label.padEnd(66) + [latency.p50_ms, latency.p95_ms, latency.p99_ms, latency.max_ms].map(cell).join(""));
  console.error(`\n[${kind}] ${result.leads} leads${"".padEnd(50 - kind.length)}${["p50 ms", "p95 ms", "p99 ms", "max ms"].map(cell).join("")}`);
  row(`POST /leads (${CLIENTS} clients, ${result.creation.leads_per_second} leads/s)`, result.creation.create);
  row(`POST …/move-stage under that load (${result.creation.moves} moves)`, result.creation.move);
  for (const latency of Object.values(result.reads)) row(`GET ${latency.path}`, latency);
  console.error(`product peak RSS ${result.product_peak_rss_mb} MB; targets ${Object.entries(met).map(([name, ok]) => `${name} ${ok ? "met" : "MISSED"}`).join(", ")}`);
}

const databases = benchDatabases();
const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
const results: Partial<Record<BenchDatabase, RunResult & { met: Record<string, boolean> }>> = {};
try {
  for (const kind of databases) {
    const result = await runOn(kind);
    const met = metOn(kind, result);
    printTable(kind, result, met);
    results[kind] = { ...result, met };
  }
  const ratio = results.sqlite && results.postgres ? Math.round((results.sqlite.creation.leads_per_second / results.postgres.creation.leads_per_second) * 100) / 100 : null;
  if (ratio !== null) console.error(`\nSQLite/PostgreSQL lead creation rate: ${ratio}×`);
  console.log(JSON.stringify({ ...results, sqlite_over_postgres_create_rate: ratio, targets: TARGETS, clients: CLIENTS, iterations: ITERATIONS, load_average_before: loadBefore, node: process.version, cpus: cpus().length }));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
