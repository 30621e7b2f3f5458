/**
 * db/wal-checkpointer.ts through the product's database: the product's own
 * connection never checkpoints (that would stall the event loop inside a
 * COMMIT), yet the writes reach the database file while it runs, and closing
 * stops the worker.
 */
import { statSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { rawRows } from "../../db/prepared";
import { createLogger } from "../../src/logger";
import { openProductDatabase } from "../../src/prospecta";

const dir = mkdtempSync(join(tmpdir(), "prospecta-checkpointer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the WAL checkpointer", () => {
  it("moves committed writes into the database file from its own thread", async () => {
    const file = join(dir, "product.db");
    const database = await openProductDatabase({ DATABASE_URL: file, DATABASE_POOL_SIZE: 1 }, createLogger("silent"));
    try {
      const [setting] = await database.run((q) => rawRows<{ wal_autocheckpoint: number }>(q, sql`PRAGMA wal_autocheckpoint`));
      expect(setting?.wal_autocheckpoint).toBe(0);
      const sizeBefore = statSync(file).size;
      const note = "x".repeat(2000);
      // About 8 MB of WAL: far past the 1,000 pages at which SQLite would checkpoint by itself.
      for (let batch = 0; batch < 40; batch++) {
        await database.transaction(async (q) => {
          for (let i = 0; i < 100; i++) await q.db.insert(q.t.appState).values({ key: `k${batch}:${i}`, value: note });
        });
      }
      await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(sizeBefore + 4_000_000), { timeout: 10_000, interval: 100 });
    } finally {
      await database.close();
    }
  });
});
