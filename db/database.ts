/**
 * One way for services to reach either database: SQLite through
 * better-sqlite3 (synchronous, one connection) or PostgreSQL through
 * node-postgres (asynchronous, a pool). Both are used the same way:
 * `database.transaction(async (q) => …)` runs its statements as one
 * transaction (a savepoint inside another), `database.run(async (q) => …)`
 * runs them outside one (inside one, they join it).
 *
 * SQLite has one connection, used by one piece of work at a time (see
 * db/sqlite-database.ts). A transaction must therefore never wait on the
 * network (a model, Twilio, Telegram); on SQLite it holds the whole database
 * while it lasts. PostgreSQL gives each transaction a connection of its own.
 *
 * Repositories get `q`: the database or the open transaction (`q.db`), and
 * the tables of its dialect (`q.t`). Both are typed with SQLite's schema and
 * builders: the two schemas' rows are the same types (pg-schema-parity
 * test), and repositories use only what both dialects' builders share:
 * builders awaited, `returning()` to learn what a write touched, never
 * `.get()`, `.all()` or `.run()` (SQLite only).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle as drizzlePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import pg from "pg";
import { Logger as JobEngineLogger, runMigrations as runJobEngineMigrations } from "graphile-worker";
import * as pgSchema from "./pg/schema";
import type * as sqliteSchema from "./schema";

export type Dialect = "sqlite" | "postgres";

/** What a repository runs statements on (see the file's comment for the rules). */
export interface Q {
  db: BaseSQLiteDatabase<"async", unknown, typeof sqliteSchema>;
  t: typeof sqliteSchema;
  dialect: Dialect;
}

export interface Database {
  dialect: Dialect;
  /** PostgreSQL's connection pool, for the job engine (graphile-worker) to share; null on SQLite. */
  pgPool: pg.Pool | null;
  run<T>(work: (q: Q) => Promise<T>): Promise<T>;
  transaction<T>(work: (q: Q) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Runs a write that lands whole: by itself on PostgreSQL, where the repository makes it one
 * statement (several rows at once: inOneStatement), and in a transaction on SQLite, where it
 * is a statement per row.
 */
export function writeAsOne<T>(db: Database, work: (q: Q) => Promise<T>): Promise<T> {
  return db.dialect === "postgres" ? db.run(work) : db.transaction(work);
}

const PG_MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "migrations-pg");

type PgExecutor = NodePgDatabase<typeof pgSchema>;

// graphile-worker logs each migration it applies at info level; the product says when the database is ready.
const quietJobEngineLogger = new JobEngineLogger(() => (level, message) => {
  if (level === "error") console.error(`graphile-worker: ${message}`);
});

/** Any fixed number: the advisory lock that lets one instance at a time apply migrations. */
const MIGRATION_LOCK = 0x70726f73;

/**
 * Instances started together would each apply the pending migrations, and the
 * second would fail on tables the first just created: one holds a session
 * lock while it migrates, the others wait for it and then find nothing to do.
 */
async function migrateOnce(pool: pg.Pool, migrate: () => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migrate();
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** A PostgreSQL database at `url` (postgres://…), its migrations applied. */
export async function openPostgresDatabase(
  url: string,
  options: { maxConnections?: number; onIdleConnectionLost?: (error: Error) => void } = {},
): Promise<Database> {
  // At least two: migrations run beside the connection that holds their lock.
  const pool = new pg.Pool({ connectionString: url, max: Math.max(2, options.maxConnections ?? 10) });
  // A connection waiting in the pool can be cut by the server (a restart, a failover, an
  // administrator's pg_terminate_backend): the pool drops it and reports it here, and the next
  // query opens another. Unheard, the pool's "error" event would end the process.
  pool.on("error", options.onIdleConnectionLost ?? (() => {}));
  const db = drizzlePg(pool, { schema: pgSchema });
  try {
    await migrateOnce(pool, async () => {
      // First the job engine's schema: migrations-pg 0004's trigger enqueues campaign steps there.
      await runJobEngineMigrations({ pgPool: pool, logger: quietJobEngineLogger });
      await migratePg(db, { migrationsFolder: PG_MIGRATIONS });
    });
  } catch (error) {
    await pool.end();
    throw error;
  }
  // The open transaction of this async flow; `open` turns false when it ends, so work started
  // from inside it (a callback, a timer) that runs later uses the pool, not a finished transaction.
  const open = new AsyncLocalStorage<{ executor: PgExecutor; open: boolean }>();
  const current = () => {
    const state = open.getStore();
    return state?.open ? state.executor : db;
  };
  const as = (executor: PgExecutor): Q => ({ db: executor as unknown as Q["db"], t: pgSchema as unknown as Q["t"], dialect: "postgres" });
  return {
    dialect: "postgres",
    pgPool: pool,
    run(work) {
      return work(as(current()));
    },
    transaction(work) {
      // drizzle makes a transaction inside a transaction a savepoint.
      return current().transaction((tx) => {
        const executor = tx as unknown as PgExecutor;
        const state = { executor, open: true };
        return open.run(state, async () => {
          try {
            return await work(as(executor));
          } finally {
            state.open = false;
          }
        });
      });
    },
    async close() {
      await pool.end();
    },
  };
}
