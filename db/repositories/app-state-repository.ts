/**
 * The app_state table: one value per key for what the product remembers
 * about itself (e.g. when the sample data was seeded). Written once for
 * SQLite and PostgreSQL (db/database.ts: awaited builders).
 */
import { eq } from "drizzle-orm";
import type { Executor } from "../executor";

/** The value stored under `key`, or undefined. */
export async function findAppState(q: Executor, key: string): Promise<string | undefined> {
  const { appState } = q.t;
  const [row] = await q.db.select({ value: appState.value }).from(appState).where(eq(appState.key, key)).limit(1);
  return row?.value;
}

export async function insertAppState(q: Executor, key: string, value: string): Promise<void> {
  const { appState } = q.t;
  await q.db.insert(appState).values({ key, value });
}

/**
 * Stores `value` under `key` unless the key is taken: true for the one caller
 * that stored it. Two instances claiming at once both reach the primary key,
 * and one of them gets false (on PostgreSQL it waits for the other's commit).
 */
export async function claimAppState(q: Executor, key: string, value: string): Promise<boolean> {
  const { appState } = q.t;
  const claimed = await q.db.insert(appState).values({ key, value }).onConflictDoNothing().returning({ key: appState.key });
  return claimed.length === 1;
}
