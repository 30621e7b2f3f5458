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
  /** Inside a transaction opened with `rerunOnConflict` (see TransactionOptions). */
  rerunOnConflict?: true;
}

export interface TransactionOptions {
  /**
   * For work that reads a row, decides on what it read, and changes that row (a stage move
   * from the stage it read, an edit checked against the lead's other fields). PostgreSQL's
   * read committed gives each statement a fresh snapshot, so two such changes at once would
   * both decide on the row as it was before either. With this option the transaction runs at
   * repeatable read: a row it changes that another transaction changed after its snapshot
   * refuses the change (a serialization failure), and the whole work runs again, on what is
   * there now. The work must therefore touch nothing but the database until it returns.
   * SQLite runs one transaction at a time: there, a plain transaction.
   */
  rerunOnConflict?: boolean;
}

export interface Database {
  dialect: Dialect;
  /** PostgreSQL's connection pool, for the job engine (graphile-worker) to share; null on SQLite. */
  pgPool: pg.Pool | null;
  run<T>(work: (q: Q) => Promise<T>): Promise<T>;
  transaction<T>(work: (q: Q) => Promise<T>, options?: TransactionOptions): Promise<T>;
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

/**
 * How many times a transaction opened with `rerunOnConflict` runs before its conflict is
 * the caller's: each rerun follows a change that committed, so only that many changes of
 * the same row landing within one transaction's time exhaust it.
 */
const CONFLICT_RUNS = 8;

/** PostgreSQL's refusals that a rerun of the whole transaction settles: serialization failure, deadlock. */
function isConflict(error: unknown): boolean {
  // drizzle wraps the driver's error as the cause of its own.
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === "40001" || code === "40P01") return true;
  }
  return false;
}

/** A pause before a rerun, random so two transactions that refused each other do not meet again at once. */
const beforeRerun = (run: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** run));

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
  type Open = { executor: PgExecutor; open: boolean; rerunOnConflict: boolean };
  const open = new AsyncLocalStorage<Open>();
  const current = (): Open | undefined => {
    const state = open.getStore();
    return state?.open ? state : undefined;
  };
  const as = (executor: PgExecutor, rerunOnConflict = false): Q => ({
    db: executor as unknown as Q["db"],
    t: pgSchema as unknown as Q["t"],
    dialect: "postgres",
    ...(rerunOnConflict && { rerunOnConflict: true }),
  });
  function runIn<T>(outer: Open | undefined, rerunOnConflict: boolean, work: (q: Q) => Promise<T>): Promise<T> {
    const config = rerunOnConflict && !outer ? { isolationLevel: "repeatable read" as const } : undefined;
    // drizzle makes a transaction inside a transaction a savepoint.
    return (outer?.executor ?? db).transaction((tx) => {
      const state = { executor: tx as unknown as PgExecutor, open: true, rerunOnConflict };
      return open.run(state, async () => {
        try {
          return await work(as(state.executor, rerunOnConflict));
        } finally {
          state.open = false;
        }
      });
    }, config);
  }
  return {
    dialect: "postgres",
    pgPool: pool,
    run(work) {
      const state = current();
      return work(state ? as(state.executor, state.rerunOnConflict) : as(db));
    },
    async transaction(work, options = {}) {
      const outer = current();
      if (!options.rerunOnConflict || outer) {
        // Inside another transaction, a conflict is that transaction's to settle: it reruns
        // only if it was opened to, and a savepoint cannot change its isolation.
        if (options.rerunOnConflict && !outer?.rerunOnConflict) {
          throw new Error("A transaction that reruns on conflict cannot run inside one that does not");
        }
        return runIn(outer, outer?.rerunOnConflict ?? false, work);
      }
      for (let run = 1; ; run++) {
        try {
          return await runIn(undefined, true, work);
        } catch (error) {
          if (run >= CONFLICT_RUNS || !isConflict(error)) throw error;
          await beforeRerun(run);
        }
      }
    },
    async close() {
      await pool.end();
    },
  };
}
