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
 *    /pipeline/metrics; a stage page first, at skip=10000 and at its last page; lead
 *    search q= by a full name typed without accents, a common first name, phone digits
 *    and an e-mail.
 * Every time is from the request's start to the full answer read. The product's peak
 * RSS is read from /proc at the end of each database's run.
 * Prints tables to stderr and one JSON object, carrying every database, as the last
 * line of stdout; exits non-zero only if a request fails or the product answers
 * something other than what was asked, never for a missed target.
 */
import { cpus, loadavg } from "node:os";
import { MAIN_PATH } from "../../src/domain/pipeline";
import { benchDatabases, httpCall, seededRandom, insertRows, latencyOf, openBenchStore, settleAfterSeeding, startBenchProduct, type BenchDatabase, type BenchStore, type Latency } from "./bench-product";
import { readProcessTree } from "./process-stats";

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
const DAY = 86_400_000;
const HORIZON = 365 * DAY;
const FIRST_NAMES = ["José", "María", "Juan", "Guadalupe", "Luis", "Sofía", "Andrés", "Ximena", "Héctor", "Mónica", "Raúl", "Valeria", "Iván", "Lucía", "Óscar", "Fernanda"];
const LAST_NAMES = ["Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Cruz", "Gómez", "Ibáñez", "Muñoz", "Díaz", "Vázquez", "Jiménez"];
const LOCATIONS = ["Roma Norte", "Condesa", "Polanco", "Del Valle", "Coyoacán", "Zapopan", "Providencia", "San Pedro"];
const PROPERTY_TYPES = ["casa", "departamento", "terreno"];
const SOURCES = ["telegram", "facebook", "portal", "referido"];

const rand = seededRandom(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const seededName = (i: number) => `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length]} ${i}`;
const seededPhone = (i: number) => `+52155${String(i).padStart(8, "0")}`;
const seededEmail = (i: number) => `cliente${i}@correo.example`;

/** Furthest rank on the main path: most leads stop early (entrada 40 %, perfilamiento 25 % …, ganado 4 %). */
const RANK_CUMULATIVE = [0.4, 0.65, 0.8, 0.9, 0.96, 1];
const LOST_SHARE = 0.15; // of the leads that did not win

const LEAD_COLUMNS = [
  "name", "telegram_chat_id", "phone", "email", "source", "pipeline_stage", "furthest_stage_rank", "stage_changed_at",
  "last_activity_at", "score", "budget_min", "budget_max", "currency", "location", "property_type", "created_at", "updated_at",
] as const;
const HISTORY_COLUMNS = ["lead_id", "from_stage", "to_stage", "reason", "actor", "forced", "at"] as const;

/** Writes the leads, then their history (ids are 1…LEADS in an empty database). Returns the number of history rows. */
async function seed(store: BenchStore, now: number): Promise<number> {
  const leads: unknown[][] = [];
  const history: unknown[][] = [];
  for (let i = 0; i < LEADS; i++) {
    const rank = RANK_CUMULATIVE.findIndex((limit) => rand() < limit);
    const lost = rank < MAIN_PATH.length - 1 && rand() < LOST_SHARE;
    const created = now - Math.floor(rand() * HORIZON);
    // One time per stage change (each passed stage, then perdido), all between creation and now.
    const changes = Array.from({ length: rank + (lost ? 1 : 0) }, () => created + Math.floor(rand() * (now - created))).sort((a, b) => a - b);
    const stageChangedAt = changes.at(-1) ?? created;
    const lastActivityAt = stageChangedAt + Math.floor(rand() * (now - stageChangedAt));
    const hasBudget = rank >= 1 || rand() < 0.3;
    const budgetMax = hasBudget ? 800_000 + Math.floor(rand() * 60) * 100_000 : null;
    leads.push([
      seededName(i), rand() < 0.7 ? 100_000_000 + i : null, seededPhone(i), rand() < 0.6 ? seededEmail(i) : null, pick(SOURCES),
      lost ? "perdido" : MAIN_PATH[rank]!, rank, new Date(stageChangedAt), new Date(lastActivityAt), Math.min(100, Math.floor(rank * 12 + rand() * 41)),
      budgetMax === null ? null : Math.round(budgetMax * 0.8), budgetMax, "MXN", hasBudget || rand() < 0.3 ? pick(LOCATIONS) : null,
      hasBudget ? pick(PROPERTY_TYPES) : null, new Date(created), new Date(lastActivityAt),
    ]);
    const leadId = i + 1;
    history.push([leadId, null, "entrada", null, "bench:seed", false, new Date(created)]);
    for (const [step, at] of changes.entries()) history.push([leadId, MAIN_PATH[step]!, step < rank ? MAIN_PATH[step + 1]! : "perdido", null, "bench:seed", false, new Date(at)]);
  }
  await insertRows(store.raw, "leads", LEAD_COLUMNS, leads);
  await insertRows(store.raw, "lead_stage_history", HISTORY_COLUMNS, history);
  const [first] = await store.raw.query<{ id: number }>("SELECT min(id) AS id FROM leads");
  if (first?.id !== 1) throw new Error(`seeded leads start at id ${first?.id}, expected 1`);
  return history.length;
}

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
  const rareIndex = Math.min(4711, Math.floor(LEADS / 2));
  const rareName = seededName(rareIndex).normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase(); // typed as people do
  const cases: Record<string, { path: string; check: (body: any) => void }> = {
    metrics: { path: "/pipeline/metrics", check: (body) => expect(body.totals?.leads === totalLeads, `metrics counted ${body.totals?.leads} leads, not ${totalLeads}`) },
    stage_page_first: { path: stagePath(0), check: (body) => expect(body.items.length === Math.min(PAGE, stageTotal), "first page not full") },
    stage_page_skip_10000: { path: stagePath(10_000), check: (body) => expect(stageTotal <= 10_000 || body.items.length > 0, "page at 10000 empty") },
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
    const historyRows = await seed(store, Date.now());
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
      const code = await product.stop();
      if (code !== 0) console.error(`[${kind}] the product exited with ${code}`);
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
