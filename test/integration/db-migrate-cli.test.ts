/** `npm run db:migrate` on either database: a SQLite file, or a postgres:// URL (its password never printed). */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipPostgres } from "../support/both-databases";
import { startPostgresCluster, type PostgresCluster } from "../support/postgres-cluster";

const run = promisify(execFile);
const migrate = (databaseUrl: string) =>
  run(process.execPath, ["--import", "tsx", "db/migrate-cli.ts"], { env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl } });

const dir = mkdtempSync(join(tmpdir(), "prospecta-migrate-"));
let cluster: PostgresCluster | undefined;
beforeAll(async () => {
  if (!skipPostgres) cluster = await startPostgresCluster({ database: "migrate_cli" });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run db:migrate", () => {
  it("migrates a SQLite file", async () => {
    const file = join(dir, "cli.db");
    const { stdout } = await migrate(file);
    expect(stdout).toContain(`Migraciones aplicadas a ${file}`);
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'leads_search'").get()).toEqual({ name: "leads_search" });
    db.close();
  });

  it.skipIf(skipPostgres)("migrates a PostgreSQL database, twice without harm, never printing the password", async () => {
    const url = cluster!.url.replace("postgres@", "postgres:s3cr3t-pass@");
    for (let round = 0; round < 2; round++) {
      const { stdout } = await migrate(url);
      expect(stdout).toMatch(/^Migraciones de PostgreSQL aplicadas a postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/migrate_cli/);
      expect(stdout).not.toContain("s3cr3t");
    }
    const client = new pg.Client({ connectionString: cluster!.url });
    await client.connect();
    const { rows } = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('leads', 'instance_leases')");
    await client.end();
    expect(rows[0].n).toBe(2);
  });
});
