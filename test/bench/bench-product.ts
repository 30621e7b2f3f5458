/**
 * What the front-door benchmarks share: the product started as `npm start`
 * starts it (scripts/start.mjs: the compiled build in dist/, rebuilt first
 * when stale), in its own process, on a database of either kind, seeded
 * before it starts; the bench process reaches it only over HTTP (and the
 * fakes).
 */
import { execFile } from "node:child_process";
import { Agent, request } from "node:http";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startProductProcess, type ProductProcess } from "../integration/product-process";
import { findPostgresBinDir, freePort, startPostgresCluster } from "../support/postgres-cluster";
import { openRawSql, type RawSql } from "../support/raw-sql";
import { productEnvFromBench } from "./product-instrumentation";

export type BenchDatabase = "sqlite" | "postgres";
export const BENCH_ADMIN_TOKEN = "bench-token-0123456789";

const run = promisify(execFile);

/**
 * The databases to run on: `--database sqlite|postgres` or BENCH_DATABASE, else both when a
 * PostgreSQL server is installed (each bench's JSON line then carries both), else SQLite alone.
 */
export function benchDatabases(argv = process.argv): BenchDatabase[] {
  const flag = argv.includes("--database") ? argv[argv.indexOf("--database") + 1] : undefined;
  const chosen = (flag ?? process.env.BENCH_DATABASE ?? "").toLowerCase();
  if (chosen === "sqlite" || chosen === "postgres") return [chosen];
  if (chosen !== "" && chosen !== "both") throw new Error(`--database ${chosen}: sqlite, postgres or both`);
  const binDir = findPostgresBinDir();
  if (binDir && existsSync(join(binDir, "initdb"))) return ["sqlite", "postgres"];
  if (chosen === "both") throw new Error("--database both: PostgreSQL is not installed (no pg_config/initdb)");
  console.error("PostgreSQL is not installed: running on SQLite only");
  return ["sqlite"];
}

export interface BenchStore {
  kind: BenchDatabase;
  /** DATABASE_URL for the product. */
  url: string;
  /** The bench's own connection, for seeding and for checking what the product wrote. */
  raw: RawSql;
  cleanUp(): Promise<void>;
}

/** An empty database with the product's schema, applied by `npm run db:migrate` as an operator would. */
export async function openBenchStore(kind: BenchDatabase, name: string): Promise<BenchStore> {
  const dir = mkdtempSync(join(tmpdir(), `prospecta-bench-${name}-`));
  const cluster = kind === "postgres" ? await startPostgresCluster({ database: `prospecta_bench_${name}`, durable: true }) : null;
  // PostgreSQL on the same machine is reached through its Unix socket, as a local client connects by
  // default (psql, libpq); BENCH_PG_TCP=1 goes through TCP on 127.0.0.1, as to a server elsewhere.
  const url = cluster ? (process.env.BENCH_PG_TCP === "1" ? cluster.url : cluster.socketUrl) : join(dir, "bench.db");
  try {
    await run(process.execPath, ["--import", "tsx", "db/migrate-cli.ts"], { env: { PATH: process.env.PATH ?? "", DATABASE_URL: url } });
  } catch (error) {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const raw = openRawSql(url);
  return {
    kind,
    url,
    raw,
    async cleanUp() {
      await raw.close().catch(() => undefined);
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Inserts `rows` into `table` in multi-row statements (both databases take the same SQL);
 * Dates become each database's time. Returns nothing: read ids back with a query.
 */
export async function insertRows(raw: RawSql, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  const perStatement = Math.floor(30_000 / columns.length); // below SQLite's 32,766 and PostgreSQL's 65,535 parameters
  const rowPlaceholders = `(${columns.map(() => "?").join(", ")})`;
  for (let start = 0; start < rows.length; start += perStatement) {
    const batch = rows.slice(start, start + perStatement);
    await raw.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${batch.map(() => rowPlaceholders).join(", ")}`, ...batch.flat());
  }
}

/**
 * Leaves a freshly seeded database as a live one would be: the planner's statistics current,
 * on SQLite the WAL moved into the main file, on PostgreSQL the rows vacuumed (what autovacuum
 * does in time: until then the visibility map is empty and no scan can be index-only).
 */
export async function settleAfterSeeding(store: BenchStore): Promise<void> {
  if (store.kind === "postgres") {
    await store.raw.query("VACUUM ANALYZE");
    return;
  }
  await store.raw.query("ANALYZE");
  await store.raw.query("PRAGMA wal_checkpoint(TRUNCATE)");
}

/**
 * The product on `store`, as `npm start` runs it, with the admin token set, quiet hours off and
 * LOG_LEVEL warn (a production log level that keeps request lines out of the measurement), unless
 * `env` says otherwise.
 */
export async function startBenchProduct(store: BenchStore, env: Record<string, string> = {}): Promise<ProductProcess> {
  return startProductProcess({
    PORT: String(await freePort()),
    DATABASE_URL: store.url,
    ADMIN_API_TOKEN: BENCH_ADMIN_TOKEN,
    QUIET_HOURS: "",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    ...env,
    ...productEnvFromBench(),
  }, {
    // BENCH_CPU_PROF_DIR: the product writes a CPU profile there when it exits (profile before optimising).
    nodeArgs: process.env.BENCH_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [],
    compiled: true,
  });
}

/** Stops a bench's product (SIGTERM), saying so when it did not exit cleanly; answers its exit code. */
export async function stopBenchProduct(product: ProductProcess, kind: BenchDatabase): Promise<number | null> {
  const code = await product.stop();
  if (code !== 0) console.error(`[${kind}] the product exited with ${code}`);
  return code;
}

/** Latency percentiles, nearest rank, in milliseconds with two decimals. */
export interface Latency {
  count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

export function latencyOf(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0) * 100) / 100;
  return { count: sorted.length, p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99), max_ms: at(1) };
}

/** The middle value of `values`, or the mean of the two middle ones for an even count (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// node:http with keep-alive rather than fetch: the load generator shares the machine's two cores
// with the product, and undici's fetch costs it several times more CPU per request.
const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP request with a JSON body (when given) and the bench's admin token; answers the status and the raw body. */
export function httpCall(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(`${baseUrl}${path}`, {
      method,
      agent: keepAlive,
      headers: {
        authorization: `Bearer ${BENCH_ADMIN_TOKEN}`,
        ...(payload !== undefined && { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
      },
    });
    outgoing.on("error", reject);
    outgoing.on("response", (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("error", reject);
      incoming.on("end", () => resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    outgoing.end(payload);
  });
}

/** mulberry32: a small seeded PRNG, so every run of a bench seeds the same data. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
