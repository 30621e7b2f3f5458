/**
 * Leases and once-per-period claims (db/repositories/coordination-repository.ts),
 * written once, on both databases: the database decides between instances.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrateDatabase, openDatabase } from "../../db/client";
import { openPostgresDatabase, sqliteDatabase, type Database } from "../../db/database";
import { holdLease } from "../../db/repositories/coordination-repository";
import { createManualClock } from "../../src/clock";
import { createLogger } from "../../src/logger";
import { createInstanceCoordination } from "../../src/services/instance-coordination";
import { findPostgresBinDir, startPostgresCluster, type PostgresCluster } from "../support/postgres-cluster";

const skipPostgres = !findPostgresBinDir() && !process.env.REQUIRE_POSTGRES;
const dir = mkdtempSync(join(tmpdir(), "prospecta-coordination-"));
let cluster: PostgresCluster | undefined;
const databases: Partial<Record<"sqlite" | "postgres", Database>> = {};

beforeAll(async () => {
  const sqlite = openDatabase(join(dir, "test.db"));
  migrateDatabase(sqlite);
  databases.sqlite = sqliteDatabase(sqlite);
  if (!skipPostgres) {
    cluster = await startPostgresCluster();
    databases.postgres = await openPostgresDatabase(cluster.url);
  }
}, 60_000);
afterAll(async () => {
  for (const database of Object.values(databases)) await database.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const log = createLogger("silent");

describe.each(["sqlite", "postgres"] as const)("%s", (dialect) => {
  const skip = dialect === "postgres" && skipPostgres;
  const instances = () => {
    const clock = createManualClock("2026-03-02T10:00:00Z");
    const deps = { database: databases[dialect]!, clock };
    return { clock, a: createInstanceCoordination(deps, `a-${dialect}`, log), b: createInstanceCoordination(deps, `b-${dialect}`, log) };
  };

  it.skipIf(skip)("gives a lease to one instance until it stops renewing, then to another", async () => {
    const { a, b } = instances();
    const events: string[] = [];
    const keep = (who: typeof a, name: string) =>
      who.keepLease({
        name: "polling",
        ttlMs: 300,
        onAcquired: async () => void events.push(`${name} acquired`),
        onLost: async () => void events.push(`${name} lost`),
      });
    const first = keep(a, "a");
    await vi.waitFor(() => expect(events).toContain("a acquired"));
    const second = keep(b, "b");
    // b keeps trying while a renews: a's lease never expires on the manual clock.
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(events).toEqual(["a acquired"]);
    expect(second.held()).toBe(false);
    // a stops: it gives the lease up, and b takes it on its next try.
    await first.stop();
    await vi.waitFor(() => expect(events).toContain("b acquired"));
    expect(events).toEqual(["a acquired", "a lost", "b acquired"]);
    await second.stop();
  });

  it.skipIf(skip)("takes a lease over once its holder's has expired", async () => {
    const { clock, a, b } = instances();
    const database = databases[dialect]!;
    expect(await database.run((q) => holdLease(q, "expiring", a.instanceId, clock.now(), 1000))).toBe(true);
    expect(await database.run((q) => holdLease(q, "expiring", b.instanceId, clock.now(), 1000))).toBe(false);
    clock.advance(999);
    expect(await database.run((q) => holdLease(q, "expiring", b.instanceId, clock.now(), 1000))).toBe(false);
    clock.advance(2);
    expect(await database.run((q) => holdLease(q, "expiring", b.instanceId, clock.now(), 1000))).toBe(true);
    expect(await database.run((q) => holdLease(q, "expiring", a.instanceId, clock.now(), 1000))).toBe(false);
  });

  it.skipIf(skip)("lets one instance claim each period of a job", async () => {
    const { a, b } = instances();
    const slot = new Date("2026-03-02T10:00:00Z");
    const claims = await Promise.all([a.claimPeriod("scan", slot), b.claimPeriod("scan", slot), a.claimPeriod("scan", slot)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await b.claimPeriod("scan", new Date(slot.getTime() + 3_600_000))).toBe(true);
    expect(await b.claimPeriod("other-job", slot)).toBe(true);
  });
});
