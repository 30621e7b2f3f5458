/** `GET /readyz`: ready only with the database answering, every migration applied and the scheduled jobs running; `/healthz` stays liveness. */
import { testDialect } from "../support/test-database";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const readyz = async () => {
  const response = await fetch(`${server.baseUrl}/readyz`);
  return { status: response.status, body: await response.json() };
};

describe("readiness", () => {
  it("waits for the scheduled jobs, then answers ready", async () => {
    expect(await readyz()).toEqual({ status: 503, body: { status: "not_ready", checks: { database: true, migrations: true, jobs: false } } });
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    await server.prospecta.startScheduler();
    expect(await readyz()).toEqual({ status: 200, body: { status: "ready", checks: { database: true, migrations: true, jobs: true } } });
  });

  it("is not ready on a database that misses a migration of this build", async () => {
    // drizzle keys its record of applied migrations by their journal time (its id column stays null on SQLite).
    // PostgreSQL keeps the record in drizzle's own schema.
    const table = testDialect() === "postgres" ? 'drizzle."__drizzle_migrations"' : '"__drizzle_migrations"';
    await server.sql(`DELETE FROM ${table} WHERE created_at = (SELECT MAX(created_at) FROM ${table}) RETURNING created_at`);
    expect(await readyz()).toMatchObject({ status: 503, body: { checks: { database: true, migrations: false } } });
  });
});
