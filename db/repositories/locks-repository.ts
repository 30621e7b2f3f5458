/**
 * Locks for check-then-write use cases ("fewer than N calls in progress, so
 * place one"). On SQLite a transaction already holds the whole database
 * (BEGIN IMMEDIATE, and one connection per process behind a gate), so nothing
 * can run between the check and the write. PostgreSQL runs transactions side
 * by side: two would both pass the check. A transaction-scoped advisory lock
 * on the same name makes the second wait until the first commits, and then
 * its check sees the first's row.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../executor";
import { rawRows } from "../prepared";

/** Call inside a transaction: held until it ends. */
export async function lockUntilCommit(tx: Executor, name: string): Promise<void> {
  if (tx.dialect === "sqlite") return;
  await rawRows(tx, sql`SELECT pg_advisory_xact_lock(hashtext(${name}))`);
}
