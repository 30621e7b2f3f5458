/**
 * PostgreSQL cuts a connection that waits in the product's pool (a restart,
 * a failover, pg_terminate_backend): the product hears of it, goes on, and
 * its next query gets a new connection. Unheard, the pool's error event
 * would end the process. The tests' own SQL helper hears it too.
 */
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresDatabase, type Database } from "../../db/database";
import { rawRows } from "../../db/prepared";
import { skipPostgres } from "../support/both-databases";
import { openRawSql } from "../support/raw-sql";
import { startPostgresCluster, type PostgresCluster } from "../support/postgres-cluster";

let cluster: PostgresCluster | undefined;
let db: Database | undefined;
const lost: Error[] = [];

beforeAll(async () => {
  if (skipPostgres) return;
  cluster = await startPostgresCluster();
  db = await openPostgresDatabase(cluster.url, { onIdleConnectionLost: (error) => lost.push(error) });
}, 60_000);
afterAll(async () => {
  await db?.close();
  await cluster?.stop();
});

/** What an administrator's pg_terminate_backend (or DROP DATABASE … WITH (FORCE)) does to every other connection. */
async function cutEveryOtherConnection(): Promise<number> {
  const admin = new pg.Client({ connectionString: cluster!.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ cut: boolean }>(
      "SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
    );
    expect(rows.length).toBeGreaterThan(0);
    return rows.length;
  } finally {
    await admin.end();
  }
}

describe.skipIf(skipPostgres)("a pooled PostgreSQL connection cut by the server", () => {
  it("is reported, and the next query runs on a new connection", async () => {
    const answer = () => db!.run((q) => rawRows<{ n: number }>(q, sql`SELECT 1 AS n`));
    expect(await answer()).toEqual([{ n: 1 }]);
    // Every connection cut is the pool's (its migrations left two): a query handed one not yet heard of would fail.
    const cut = await cutEveryOtherConnection();
    for (let i = 0; i < 200 && lost.length < cut; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lost).toHaveLength(cut);
    expect(lost[0]?.message).toMatch(/terminating connection/);
    expect(await answer()).toEqual([{ n: 1 }]);
  });

  // Tests drop their database WITH (FORCE) at teardown, and once that cut a connection of this
  // helper's pool as it ended: unheard, the pool's error event failed the whole test run.
  it("ends no test run when it is one of the tests' own SQL helper's, and its next query runs", async () => {
    const raw = openRawSql(cluster!.url);
    try {
      expect(await raw.query("SELECT 1 AS n")).toEqual([{ n: 1 }]);
      await cutEveryOtherConnection();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await raw.query("SELECT 1 AS n")).toEqual([{ n: 1 }]);
    } finally {
      await raw.close();
    }
  });
});
