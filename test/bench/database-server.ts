/**
 * The database server's own CPU, for the chat benches: on PostgreSQL a message
 * costs the server's backends as well as the product, and both share the
 * machine. Found from the bench's store: the cluster's postmaster is the
 * `postgres -D <dir>/data` process of the socket directory the URL names
 * (with BENCH_PG_TCP=1 the URL names no directory, and the reading is null).
 * SQLite runs inside the product: null.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { BenchStore } from "./bench-product";
import { commandLine, readProcessTree } from "./process-stats";

const postmasters = new Map<string, number | null>();

function postmasterOf(store: BenchStore): number | null {
  if (store.kind !== "postgres") return null;
  const cached = postmasters.get(store.url);
  if (cached !== undefined) return cached;
  const host = decodeURIComponent(new URL(store.url).hostname);
  let found: number | null = null;
  if (host.startsWith("/")) {
    const dataDir = join(host, "data");
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const line = commandLine(Number(entry));
      if (/\bpostgres\b/.test(line.split(" ")[0] ?? "") && line.includes(`-D ${dataDir}`)) {
        found = Number(entry);
        break;
      }
    }
  }
  postmasters.set(store.url, found);
  return found;
}

/** CPU seconds (user + system) of the PostgreSQL server and all its backends so far; null on SQLite or when not found. */
export async function databaseServerCpuSeconds(store: BenchStore): Promise<number | null> {
  const pid = postmasterOf(store);
  return pid === null ? null : readProcessTree(pid).reduce((sum, p) => sum + p.cpuSeconds, 0);
}
