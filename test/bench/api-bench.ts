/**
 * `npm run bench:api`: the admin API at agency scale. Seeds 100,000 leads with
 * their stage history straight into SQLite, then measures over real HTTP the
 * latency of GET /pipeline/metrics and of a stage listing page (first and deep).
 * Prints a table to stderr and one JSON object as the last line of stdout.
 */
import { cpus } from "node:os";
import type { AddressInfo } from "node:net";
import { MAIN_PATH } from "../../src/domain/pipeline";
import { buildBenchProspecta } from "./bench-setup";

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const TOKEN = "bench-token-0123456789"; // set by buildBenchProspecta
const DAY = 86_400_000;

const { prospecta, cleanUp } = await buildBenchProspecta("api", null);
const sqlite = prospecta.db.$client;
const now = Date.now();

// Most leads stay early in the funnel; some close. Each passed stage has a history row.
function furthestRank(i: number): number {
  const r = (i * 7919) % 100;
  return r < 40 ? 0 : r < 65 ? 1 : r < 80 ? 2 : r < 90 ? 3 : r < 96 ? 4 : 5;
}

let started = performance.now();
const insertLead = sqlite.prepare(`
  INSERT INTO leads (name, phone, pipeline_stage, furthest_stage_rank, stage_changed_at, last_activity_at, score,
                     budget_max, location, currency, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'MXN', ?, ?)`);
const insertHistory = sqlite.prepare(
  "INSERT INTO lead_stage_history (lead_id, from_stage, to_stage, reason, actor, forced, at) VALUES (?, ?, ?, NULL, 'bench:seed', 0, ?)",
);
let historyRows = 0;
sqlite.transaction(() => {
  for (let i = 0; i < LEADS; i++) {
    const rank = furthestRank(i);
    const lost = rank < 5 && i % 9 === 0;
    const created = now - (i % 180) * DAY - (i % 1000) * 60_000;
    const stepMs = 2 * DAY + (i % 5) * DAY;
    const stageChanged = created + rank * stepMs + (lost ? DAY : 0);
    const stage = lost ? "perdido" : MAIN_PATH[rank]!;
    const { lastInsertRowid } = insertLead.run(
      `Lead ${i}`,
      `+5255${String(10_000_000 + i).padStart(8, "0")}`,
      stage,
      rank,
      stageChanged,
      stageChanged + (i % 3) * DAY,
      i % 101,
      1_000_000 + (i % 50) * 100_000,
      ["Roma", "Condesa", "Polanco", "Zapopan", "Coyoacán"][i % 5]!,
      created,
      stageChanged,
    );
    insertHistory.run(lastInsertRowid, null, "entrada", created);
    for (let r = 1; r <= rank; r++) insertHistory.run(lastInsertRowid, MAIN_PATH[r - 1]!, MAIN_PATH[r]!, created + r * stepMs);
    if (lost) insertHistory.run(lastInsertRowid, MAIN_PATH[rank]!, "perdido", stageChanged);
    historyRows += 1 + rank + (lost ? 1 : 0);
  }
})();
sqlite.exec("ANALYZE");
const seedMs = performance.now() - started;

await prospecta.app.listen({ port: 0, host: "127.0.0.1" });
const base = `http://127.0.0.1:${(prospecta.app.server.address() as AddressInfo).port}/api/v1`;

async function measure(path: string) {
  const get = async () => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
  };
  for (let i = 0; i < 20; i++) await get();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t = process.hrtime.bigint();
    await get();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! * 100) / 100;
  const mean = Math.round((samples.reduce((s, x) => s + x, 0) / samples.length) * 100) / 100;
  return { p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99), mean_ms: mean };
}

started = performance.now();
const metrics = await measure("/pipeline/metrics");
const stagePage = await measure("/pipeline/stages/perfilamiento/leads?skip=0&limit=50");
const stagePageDeep = await measure("/pipeline/stages/perfilamiento/leads?skip=10000&limit=50");
await cleanUp();

const result = {
  leads: LEADS,
  history_rows: historyRows,
  seed_ms: Math.round(seedMs),
  iterations: ITERATIONS,
  metrics,
  stage_page: stagePage,
  stage_page_deep: stagePageDeep,
  targets: { metrics_p95_ms: 50, stage_page_p95_ms: 10 },
  met: { metrics: metrics.p95_ms < 50, stage_page: stagePage.p95_ms < 10 },
  node: process.version,
  cpus: cpus().length,
};
console.error(
  [
    `seeded ${LEADS} leads and ${historyRows} history rows in ${result.seed_ms} ms`,
    `GET /pipeline/metrics                    p50 ${metrics.p50_ms} ms  p95 ${metrics.p95_ms} ms  p99 ${metrics.p99_ms} ms`,
    `GET stage page (skip 0, limit 50)        p50 ${stagePage.p50_ms} ms  p95 ${stagePage.p95_ms} ms  p99 ${stagePage.p99_ms} ms`,
    `GET stage page (skip 10000, limit 50)    p50 ${stagePageDeep.p50_ms} ms  p95 ${stagePageDeep.p95_ms} ms  p99 ${stagePageDeep.p99_ms} ms`,
  ].join("\n"),
);
console.log(JSON.stringify(result));
