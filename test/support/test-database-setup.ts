/**
 * vitest's global setup: with TEST_DATABASE=postgres (`npm run test:postgres`)
 * it starts one throwaway PostgreSQL cluster for the whole run and migrates a
 * template database there; each product a test starts then gets a fresh copy
 * of it (test/support/test-database.ts), which takes milliseconds instead of
 * a migration. Without it, nothing starts and the tests use SQLite files.
 */
import type { TestProject } from "vitest/node";
import { openPostgresDatabase } from "../../db/database";
import { startPostgresCluster, type PostgresCluster } from "./postgres-cluster";

export const TEMPLATE_DATABASE = "prospecta_template";

declare module "vitest" {
  export interface ProvidedContext {
    /** postgres:// URL of the server's own database, for creating and dropping test databases; empty on SQLite. */
    postgresAdminUrl: string;
  }
}

let cluster: PostgresCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.TEST_DATABASE !== "postgres") {
    project.provide("postgresAdminUrl", "");
    return;
  }
  cluster = await startPostgresCluster({ database: TEMPLATE_DATABASE });
  const template = await openPostgresDatabase(cluster.url);
  await template.close();
  project.provide("postgresAdminUrl", cluster.url.replace(/\/[^/]+$/, "/postgres"));
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
