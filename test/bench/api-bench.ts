/**
 * `npm run bench:api`: the admin API at agency scale. Seeds BENCH_LEADS (default
 * 100,000) leads with their stage history straight into SQLite, then measures
 * over real HTTP (keep-alive) the latency of GET /pipeline/metrics and of a
 * stage listing page, first and deep. These are the two reads an agency's
 * dashboard makes all day; their SQL must stay index-only as the table grows
 * (targets: metrics p95 < 50 ms, stage page p95 < 10 ms).
 * Prints a table to stderr and one JSON object as the last line of stdout;
 * exits non-zero only if a request fails, never for a missed target.
 */
import { cpus } from "node:os";
import type { AddressInfo } from "node:net";
import { MAIN_PATH } from "../../src/domain/pipeline";
import { sql } from "drizzle-orm";
import type { Database } from "../../db/database";
import { rawRows, rawRun } from "../../db/prepared";
import { buildBenchProspecta } from "./bench-setup";

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const WARMUP = 20;
const TOKEN = "bench-token-0123456789"; // the ADMIN_API_TOKEN buildBenchProspecta sets
const TARGETS = { metrics_p95_ms: 50, stage_page_p95_ms: 10 };
const DAY = 86_400_000;
const HORIZON = 180 * DAY;
const LOCATIONS = ["Roma Norte", "Condesa", "Polanco", "Del Valle", "Coyoacán", "Zapopan", "Providencia", "San Pedro"];
const PROPERTY_TYPES = ["casa", "departamento", "terreno"];

/** mulberry32: a small seeded PRNG, so every run seeds the same data. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const rand = random(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

/** Furthest rank on the main path: most leads stop early (entrada 40 %, perfilamiento 25 % …, ganado 4 %). */
const RANK_CUMULATIVE = [0.4, 0.65, 0.8, 0.9, 0.96, 1];
function drawRank(): number {
  const draw = rand();
  return RANK_CUMULATIVE.findIndex((limit) => draw < limit);
}
const LOST_SHARE = 0.15; // of the leads that did not win

/** Inserts the leads and their history in one transaction; returns the number of history rows. */
async function seed(db: Database, now: number): Promise<number> {
  let historyRows = 0;
  await db.transaction(async (q) => {
    const insertHistory = (leadId: number, from: string | null, to: string, at: number) =>
      rawRun(q, sql`INSERT INTO lead_stage_history (lead_id, from_stage, to_stage, reason, actor, forced, at) VALUES (${leadId}, ${from}, ${to}, NULL, 'bench:seed', 0, ${at})`);
    for (let i = 0; i < LEADS; i++) {
      const rank = drawRank();
      const lost = rank < MAIN_PATH.length - 1 && rand() < LOST_SHARE;
      const created = now - Math.floor(rand() * HORIZON);
      // One time per stage change (each passed stage, then perdido), all between creation and now.
      const changes = Array.from({ length: rank + (lost ? 1 : 0) }, () => created + Math.floor(rand() * (now - created))).sort((a, b) => a - b);
      const stageChangedAt = changes.at(-1) ?? created;
      const lastActivityAt = stageChangedAt + Math.floor(rand() * (now - stageChangedAt));
      const hasBudget = rank >= 1 || rand() < 0.3;
      const budgetMax = hasBudget ? 800_000 + Math.floor(rand() * 60) * 100_000 : null;
      const [inserted] = await rawRows<{ id: number }>(
        q,
        sql`INSERT INTO leads (name, telegram_chat_id, phone, source, pipeline_stage, furthest_stage_rank, stage_changed_at,
                               last_activity_at, score, budget_min, budget_max, currency, location, property_type, created_at, updated_at)
            VALUES (${`Lead ${i + 1}`}, ${rand() < 0.7 ? 100_000_000 + i : null}, ${`+52155${String(i).padStart(8, "0")}`},
                    ${pick(["telegram", "facebook", "portal", "referido"])}, ${lost ? "perdido" : MAIN_PATH[rank]!}, ${rank}, ${stageChangedAt},
                    ${lastActivityAt}, ${Math.min(100, Math.floor(rank * 12 + rand() * 41))}, ${budgetMax === null ? null : Math.round(budgetMax * 0.8)},
                    ${budgetMax}, 'MXN', ${hasBudget || rand() < 0.3 ? pick(LOCATIONS) : null}, ${hasBudget ? pick(PROPERTY_TYPES) : null},
                    ${created}, ${lastActivityAt})
            RETURNING id`,
      );
      const leadId = inserted!.id;
      await insertHistory(leadId, null, "entrada", created);
      for (const [step, at] of changes.entries()) {
        const to = step < rank ? MAIN_PATH[step + 1]! : "perdido";
        await insertHistory(leadId, MAIN_PATH[step]!, to, at);
      }
      historyRows += 1 + changes.length;
    }
  });
  await db.run((q) => rawRun(q, sql`ANALYZE`));
  await db.run((q) => rawRows(q, sql`PRAGMA wal_checkpoint(TRUNCATE)`)); // a live database has its pages in the main file, not the WAL
  return historyRows;
}

interface Latency {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  mean_ms: number;
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/** GETs `path` WARMUP times, then ITERATIONS times one after the other, timing each full response. */
async function measure(base: string, path: string): Promise<Latency> {
  const get = async (): Promise<unknown> => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 200)}`);
    return JSON.parse(body);
  };
  for (let i = 0; i < WARMUP; i++) await get();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const started = process.hrtime.bigint();
    await get();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const percentile = (q: number) => round2(samples[Math.max(0, Math.ceil(q * samples.length) - 1)]!); // nearest rank
  const mean = round2(samples.reduce((sum, ms) => sum + ms, 0) / samples.length);
  return { p50_ms: percentile(0.5), p95_ms: percentile(0.95), p99_ms: percentile(0.99), mean_ms: mean };
}

const { prospecta, cleanUp } = await buildBenchProspecta("api", null, { NODE_ENV: "test" });
try {
  const seedStarted = performance.now();
  const historyRows = await seed(prospecta.db, Date.now());
  const seedMs = Math.round(performance.now() - seedStarted);
  console.error(`seeded ${LEADS} leads and ${historyRows} history rows in ${seedMs} ms`);

  await prospecta.app.listen({ port: 0, host: "127.0.0.1" });
  const base = `http://127.0.0.1:${(prospecta.app.server.address() as AddressInfo).port}/api/v1`;

  // The numbers mean nothing if the API does not see the seeded leads.
  const check = await fetch(`${base}/pipeline/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const totals = ((await check.json()) as { totals?: { leads?: number } }).totals;
  if (check.status !== 200 || totals?.leads !== LEADS) throw new Error(`metrics saw ${totals?.leads} leads (status ${check.status}), expected ${LEADS}`);

  const cases = {
    metrics: "/pipeline/metrics",
    stage_page: "/pipeline/stages/perfilamiento/leads?skip=0&limit=50",
    stage_page_deep: "/pipeline/stages/perfilamiento/leads?skip=10000&limit=50",
  } as const;
  const results = {} as Record<keyof typeof cases, Latency>;
  for (const [name, path] of Object.entries(cases) as [keyof typeof cases, string][]) results[name] = await measure(base, path);

  const result = {
    leads: LEADS,
    history_rows: historyRows,
    seed_ms: seedMs,
    iterations: ITERATIONS,
    ...results,
    targets: TARGETS,
    met: { metrics: results.metrics.p95_ms <= TARGETS.metrics_p95_ms, stage_page: results.stage_page.p95_ms <= TARGETS.stage_page_p95_ms },
    node: process.version,
    cpus: cpus().length,
  };
  const cell = (value: number | string) => (typeof value === "number" ? value.toFixed(2) : value).padStart(9);
  console.error(`\n${"request".padEnd(62)}${["p50 ms", "p95 ms", "p99 ms", "mean ms"].map(cell).join("")}`);
  for (const [name, path] of Object.entries(cases) as [keyof typeof cases, string][]) {
    const { p50_ms, p95_ms, p99_ms, mean_ms } = results[name];
    console.error(`GET ${path}`.padEnd(62) + [p50_ms, p95_ms, p99_ms, mean_ms].map(cell).join(""));
  }
  console.error(
    `\ntargets: metrics p95 ≤ ${TARGETS.metrics_p95_ms} ms ${result.met.metrics ? "met" : "MISSED"}, ` +
      `stage page p95 ≤ ${TARGETS.stage_page_p95_ms} ms ${result.met.stage_page ? "met" : "MISSED"} (${ITERATIONS} requests each, node ${process.version}, ${result.cpus} cpus)`,
  );
  console.log(JSON.stringify(result));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
