import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { backupDatabase } from "../../db/backup";
import { startTestServer } from "./test-server";

const dir = mkdtempSync(join(tmpdir(), "prospecta-backup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("db:backup", () => {
  it("copies the live database while the product keeps writing", async () => {
    // The product's SQLite file, at a path the test chooses: the backup reads the file itself.
    const live = join(dir, "live.db");
    const server = await startTestServer({ seedSamples: true, env: { DATABASE_URL: live } });
    try {
      for (let i = 0; i < 50; i++) await server.api("POST", "/leads", { name: `Lead ${i}` });
      const writing = (async () => {
        for (let i = 0; i < 50; i++) await server.api("POST", "/leads", { name: `Durante ${i}` });
      })();
      const destination = join(dir, "copy.db");
      const result = await backupDatabase(live, destination);
      await writing;
      expect(result.pages).toBeGreaterThan(0);
      const copy = new Database(destination, { readonly: true });
      const leads = (copy.prepare("SELECT COUNT(*) AS n FROM leads").get() as { n: number }).n;
      expect(leads).toBeGreaterThanOrEqual(50);
      expect(leads).toBeLessThanOrEqual(100);
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      expect((copy.prepare("SELECT COUNT(*) AS n FROM campaigns").get() as { n: number }).n).toBe(1);
      copy.close();
    } finally {
      await server.close();
    }
  });
});
