/**
 * db/sqlite-database.ts's group commit: transactions that wait together share
 * one COMMIT, yet each caller is answered only once its writes are committed,
 * a member that fails undoes only its own writes, and a COMMIT that fails
 * fails every member of its batch, leaving none of their writes.
 */
import BetterSqlite3 from "better-sqlite3";
import { eq, sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "../../db/client";
import type { Database, Q } from "../../db/database";
import { sqliteDatabase } from "../../db/sqlite-database";

const dir = mkdtempSync(join(tmpdir(), "prospecta-group-commit-"));
const file = join(dir, "test.db");
let database: Database;
/** Another connection on the same file: it sees only what is committed. */
let observer: BetterSqlite3.Database;

beforeAll(() => {
  const sqlite = openDatabase(file);
  migrateDatabase(sqlite);
  database = sqliteDatabase(sqlite);
  observer = new BetterSqlite3(file, { readonly: true });
});
afterAll(async () => {
  observer.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const put = (q: Q, key: string, value: string) => q.db.insert(q.t.appState).values({ key, value });
const read = async (q: Q, key: string) => (await q.db.select().from(q.t.appState).where(eq(q.t.appState.key, key)))[0]?.value;
const committed = (key: string) => (observer.prepare("SELECT value FROM app_state WHERE key = ?").get(key) as { value: string } | undefined)?.value;

describe("sqlite group commit", () => {
  it("answers each of many waiting transactions only once its write is committed", async () => {
    const seenAtAnswer = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await database.transaction((q) => put(q, `batch:${i}`, String(i)));
        return committed(`batch:${i}`);
      }),
    );
    expect(seenAtAnswer).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it("undoes only the member that failed; the others commit and each sees the writes before it", async () => {
    const results = await Promise.allSettled([
      database.transaction((q) => put(q, "member:a", "a")),
      database.transaction(async (q) => {
        await put(q, "member:b", "b");
        throw new Error("b refused");
      }),
      database.transaction(async (q) => {
        await put(q, "member:c", (await read(q, "member:a")) ?? "a missing");
        return read(q, "member:b");
      }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error("b refused"));
    expect((results[2] as PromiseFulfilledResult<string | undefined>).value).toBeUndefined();
    expect([committed("member:a"), committed("member:b"), committed("member:c")]).toEqual(["a", undefined, "a"]);
  });

  it("fails every member of a batch whose COMMIT fails, and keeps none of their writes", async () => {
    // A foreign key checked only at COMMIT (deferred) is broken by the last member: SQLite refuses the COMMIT.
    const results = await Promise.allSettled([
      database.transaction((q) => put(q, "doomed:1", "1")),
      database.transaction((q) => put(q, "doomed:2", "2")),
      database.transaction(async (q) => {
        await q.db.run(sql`PRAGMA defer_foreign_keys = ON`);
        await q.db.run(sql`INSERT INTO lead_stage_history (lead_id, from_stage, to_stage, actor, forced, at) VALUES (999999, NULL, 'entrada', 'test', 0, 0)`);
      }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "rejected"]);
    const reason = (results[0] as PromiseRejectedResult).reason as Error;
    expect(`${reason.message}: ${String(reason.cause)}`).toMatch(/COMMIT.*FOREIGN KEY/);
    expect([committed("doomed:1"), committed("doomed:2")]).toEqual([undefined, undefined]);
    // The connection is usable again afterwards.
    await database.transaction((q) => put(q, "after", "ok"));
    expect(committed("after")).toBe("ok");
  });
});
