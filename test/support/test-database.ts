/**
 * The database a test's product runs on: a SQLite file in the test's folder
 * (`npm test`), or with TEST_DATABASE=postgres (`npm run test:postgres`) a
 * fresh PostgreSQL database copied from the migrated template the global
 * setup made (test/support/test-database-setup.ts).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { inject } from "vitest";
import type { Dialect } from "../../db/database";
import { createDatabase, dropDatabase } from "./postgres-cluster";
import { TEMPLATE_DATABASE } from "./test-database-setup";

export interface TestDatabase {
  dialect: Dialect;
  /** What DATABASE_URL is set to. */
  url: string;
  /** Deletes a PostgreSQL database (a SQLite file goes with its folder). */
  drop(): Promise<void>;
}

export function testDialect(): Dialect {
  return inject("postgresAdminUrl") ? "postgres" : "sqlite";
}

export async function createTestDatabase(dir: string, name = "test"): Promise<TestDatabase> {
  const adminUrl = inject("postgresAdminUrl");
  if (!adminUrl) return { dialect: "sqlite", url: join(dir, `${name}.db`), drop: async () => {} };
  const database = `${name.replace(/\W/g, "_")}_${randomBytes(6).toString("hex")}`;
  await createDatabase(adminUrl, database, TEMPLATE_DATABASE);
  return { dialect: "postgres", url: adminUrl.replace(/\/postgres$/, `/${database}`), drop: () => dropDatabase(adminUrl, database) };
}
