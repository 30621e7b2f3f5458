/**
 * For tests that run the same cases on SQLite and on PostgreSQL through
 * db/database.ts: a SQLite file and (when PostgreSQL is installed, or
 * REQUIRE_POSTGRES says it must be) a throwaway cluster, each migrated,
 * opened before the file's tests and closed after them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { migrateDatabase, openDatabase } from "../../db/client";
import { openPostgresDatabase, type Database, type Dialect } from "../../db/database";
import { sqliteDatabase } from "../../db/sqlite-database";
import { findPostgresBinDir, startPostgresCluster, type PostgresCluster } from "./postgres-cluster";

export const DIALECTS = ["sqlite", "postgres"] as const satisfies readonly Dialect[];

/** True when PostgreSQL is missing and nothing requires it: its cases are skipped. */
export const skipPostgres = !findPostgresBinDir() && !process.env.REQUIRE_POSTGRES;

export function useBothDatabases(): (dialect: Dialect) => Database {
  const dir = mkdtempSync(join(tmpdir(), "prospecta-both-"));
  let cluster: PostgresCluster | undefined;
  const databases: Partial<Record<Dialect, Database>> = {};
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
  return (dialect) => {
    const database = databases[dialect];
    if (!database) throw new Error(`no ${dialect} database (skipped or not started)`);
    return database;
  };
}
