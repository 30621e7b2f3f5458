/** Opens the SQLite database with the pragmas the product relies on, and applies migrations. */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), "migrations");

export function isInMemory(databaseUrl: string): boolean {
  return databaseUrl === ":memory:";
}

/** The folder that holds the database file: also where the generated admin token is kept. */
export function dataDirectory(databaseUrl: string): string {
  return isInMemory(databaseUrl) ? resolve("./data") : dirname(resolve(databaseUrl));
}

export function openDatabase(databaseUrl: string): Db {
  if (!isInMemory(databaseUrl)) mkdirSync(dataDirectory(databaseUrl), { recursive: true });
  const sqlite = new Database(databaseUrl);
  // WAL lets the API read while the campaign runner writes; busy_timeout makes a
  // second process on the same file wait for the lock instead of failing at once.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  // 32 MB of page cache (the default is 2 MB): trigger scans touch large indexes.
  sqlite.pragma("cache_size = -32768");
  sqlite.pragma("temp_store = MEMORY");
  cachePreparedStatements(sqlite);
  return beginImmediately(drizzle(sqlite, { schema }) as Db);
}

/**
 * Transactions take the write lock when they begin (BEGIN IMMEDIATE), not at
 * their first write. With two processes on the file, a deferred transaction
 * that reads and then writes while the other process writes cannot wait for
 * the lock (both would wait forever), so SQLite fails it at once with
 * "database is locked" whatever busy_timeout says: a 500 on POST /leads, a
 * claim lost. Taking the lock first makes the second process wait its turn.
 */
function beginImmediately(db: Db): Db {
  const transaction = db.transaction.bind(db);
  db.transaction = ((work, config) => transaction(work, { behavior: "immediate", ...config })) as Db["transaction"];
  return db;
}

const STATEMENT_CACHE_SIZE = 1000;

/**
 * drizzle prepares every query it runs; compiling the same SQL again and again
 * was the largest single cost of a bot message (profiled with bench:bot). The
 * compiled statements are kept by SQL text, least recently used dropped first.
 * A reused statement gets its default (object-rows) mode back, since drizzle
 * switches some to raw mode.
 */
function cachePreparedStatements(sqlite: Database.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    const cached = cache.get(source);
    if (cached) {
      cache.delete(source);
      cache.set(source, cached);
      if (cached.reader) cached.raw(false);
      return cached;
    }
    const statement = prepare(source);
    cache.set(source, statement);
    if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    return statement;
  }) as typeof sqlite.prepare;
}

export function migrateDatabase(db: Db): void {
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}

