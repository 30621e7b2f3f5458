/**
 * The SQLite side of db/database.ts: one better-sqlite3 connection, used by
 * one piece of work at a time, in the order asked.
 *
 * While a transaction awaits, nothing else may use the connection, or another
 * flow's statements would land inside that transaction: every run and
 * transaction waits in one queue. A transaction must therefore never wait on
 * the network (a model, Twilio, Telegram); it holds the whole database while
 * it lasts.
 *
 * Group commit: a COMMIT is the dearest statement a write makes (WAL frames
 * written while the event loop waits). When a transaction ends and others are
 * already waiting in the queue, they join it, each in a savepoint of its own,
 * and the batch commits once when none is left waiting (or BATCH_LIMIT have
 * joined). A member that fails rolls back to its savepoint alone and gets its
 * error at once; the others get their answers only after the COMMIT, so no
 * caller ever sees a write that is not committed. If the COMMIT itself fails,
 * every member of the batch gets that error and nothing of theirs stays.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { sql } from "drizzle-orm";
import type { Db } from "./client";
import type { Database, Q } from "./database";
import * as sqliteTables from "./schema";

/** Transactions joined into one COMMIT at most: bounds how long the first member waits for its answer. */
const BATCH_LIMIT = 32;

interface Holding {
  inTransaction: boolean;
  savepoints: number;
  open: boolean;
}

interface Job {
  transactional: boolean;
  /**
   * Runs in whichever flow drains the queue, not its caller's: the one context the database
   * keeps (`holding`) is set afresh for each piece of work. (Binding each to its caller's
   * context cost 1.3% of the product's CPU at 16 clients creating leads.)
   */
  work: () => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Runs `work` as the holder `state`, which closes when the work ends. */
function holdWhile<T>(storage: AsyncLocalStorage<Holding>, state: Holding, work: () => Promise<T>): Promise<T> {
  return storage.run(state, async () => {
    try {
      return await work();
    } finally {
      state.open = false;
    }
  });
}

/** The SQLite database the product opened (db/client.ts), used through one queue. */
export function sqliteDatabase(db: Db): Database {
  const q: Q = { db: db as unknown as Q["db"], t: sqliteTables, dialect: "sqlite" };
  // Whether this async flow holds the connection, and how deep in savepoints it is. Work started
  // from inside a run (a callback, a timer) inherits this store: `open` turns false when that run
  // ends, so such work waits in the queue instead of slipping past it.
  const holding = new AsyncLocalStorage<Holding>();
  const exec = (statement: string) => db.run(sql.raw(statement));
  const queue: Job[] = [];
  let draining = false;

  function enqueue<T>(transactional: boolean, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ transactional, work, resolve: resolve as (value: unknown) => void, reject });
      if (!draining) void drain();
    });
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (job.transactional) await commitBatch(job);
        else await job.work().then(job.resolve, job.reject);
      }
    } finally {
      draining = false;
    }
  }

  /**
   * The next transaction to join the open batch: one already waiting, or else one that comes
   * within this turn of the event loop. The work of one request runs from its socket's read to
   * its COMMIT without yielding (SQLite answers at once), so the requests read in the same turn
   * reach the database only after it: one setImmediate lets them join, at the cost of holding
   * the write lock that long. A turn that brings none ends the batch.
   */
  async function nextMember(): Promise<Job | undefined> {
    if (queue.length === 0) await new Promise<void>((done) => setImmediate(done));
    return queue[0]?.transactional ? queue.shift() : undefined;
  }

  /** `first` and the transactions queued behind it, as one database transaction. */
  async function commitBatch(first: Job): Promise<void> {
    const succeeded: { job: Job; value: unknown }[] = [];
    let member: Job | undefined = first;
    try {
      // IMMEDIATE: the write lock at the start, so two processes on the file wait for each other
      // (busy_timeout) instead of failing when both read and then want to write.
      exec("BEGIN IMMEDIATE");
      for (let joined = 1; member; member = joined++ < BATCH_LIMIT ? await nextMember() : undefined) {
        exec("SAVEPOINT batch_member");
        let value: unknown;
        try {
          value = await member.work();
        } catch (error) {
          exec("ROLLBACK TO batch_member");
          exec("RELEASE batch_member");
          member.reject(error);
          continue;
        }
        exec("RELEASE batch_member");
        succeeded.push({ job: member, value });
      }
      exec("COMMIT");
    } catch (error) {
      // The database itself failed (BEGIN, a savepoint, the COMMIT): nothing of the batch stays.
      try {
        if (db.$client.inTransaction) exec("ROLLBACK");
      } catch {
        // Already rolled back by SQLite itself; the error to report is the one above.
      }
      member?.reject(error);
      for (const { job } of succeeded) job.reject(error);
      return;
    }
    for (const { job, value } of succeeded) job.resolve(value);
  }

  async function nested<T>(work: (q: Q) => Promise<T>, state: Holding): Promise<T> {
    const name = `sp_${state.savepoints + 1}`;
    exec(`SAVEPOINT ${name}`);
    try {
      const result = await holdWhile(holding, { inTransaction: true, savepoints: state.savepoints + 1, open: true }, () => work(q));
      exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      exec(`ROLLBACK TO ${name}`);
      exec(`RELEASE ${name}`);
      throw error;
    }
  }

  /** A transaction started from inside a plain run, which already holds the connection. */
  async function ownTransaction<T>(work: (q: Q) => Promise<T>): Promise<T> {
    exec("BEGIN IMMEDIATE");
    try {
      const result = await holdWhile(holding, { inTransaction: true, savepoints: 0, open: true }, () => work(q));
      exec("COMMIT");
      return result;
    } catch (error) {
      exec("ROLLBACK");
      throw error;
    }
  }

  return {
    dialect: "sqlite",
    pgPool: null,
    run(work) {
      if (holding.getStore()?.open) return work(q);
      return enqueue(false, () => holdWhile(holding, { inTransaction: false, savepoints: 0, open: true }, () => work(q)));
    },
    transaction(work) {
      const state = holding.getStore();
      if (state?.open) {
        // Inside a run that is not a transaction: this one is the connection's own, at once.
        if (!state.inTransaction) return ownTransaction(work);
        return nested(work, state);
      }
      return enqueue(true, () => holdWhile(holding, { inTransaction: true, savepoints: 0, open: true }, () => work(q)));
    },
    async close() {
      await enqueue(false, async () => db.$client.close());
    },
  };

}
