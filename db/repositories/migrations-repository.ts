/**
 * Which migrations a database has, for readiness: drizzle records each applied
 * one with its journal time (SQLite: "__drizzle_migrations"; PostgreSQL:
 * "drizzle"."__drizzle_migrations") and applies those newer than the last it
 * recorded, so a database has every migration this build ships when its
 * newest record is at least the newest time in the build's journal
 * (db/migrations or db/migrations-pg).
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Dialect, Q } from "../database";
import { rawRows } from "../prepared";

/** The journal time of the newest migration applied to the database (0 with none). */
export async function newestAppliedMigration(q: Q): Promise<number> {
  const table = q.dialect === "postgres" ? sql`"drizzle"."__drizzle_migrations"` : sql`"__drizzle_migrations"`;
  // PostgreSQL answers its bigint as a string.
  const [row] = await rawRows<{ at: number | string | null }>(q, sql`SELECT MAX(created_at) AS at FROM ${table}`);
  return Number(row?.at ?? 0);
}

const MIGRATION_FOLDERS: Record<Dialect, string> = {
  sqlite: resolve(dirname(fileURLToPath(import.meta.url)), "..", "migrations"),
  postgres: resolve(dirname(fileURLToPath(import.meta.url)), "..", "migrations-pg"),
};

const journalSchema = z.object({ entries: z.array(z.object({ when: z.number() })).min(1) });

/** Read once per dialect: the journals cannot change while the process runs. */
const newestShipped = new Map<Dialect, number>();

/** The journal time of the newest migration this build ships for `dialect`. */
export function newestShippedMigration(dialect: Dialect): number {
  let newest = newestShipped.get(dialect);
  if (newest === undefined) {
    const journal = journalSchema.parse(JSON.parse(readFileSync(join(MIGRATION_FOLDERS[dialect], "meta", "_journal.json"), "utf8")));
    newest = Math.max(...journal.entries.map((entry) => entry.when));
    newestShipped.set(dialect, newest);
  }
  return newest;
}
