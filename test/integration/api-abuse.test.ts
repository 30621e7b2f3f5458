/**
 * Every /api/v1 route, read from the OpenAPI document (a new route is covered
 * on its own): no token → 401; wrong types, missing fields, huge strings,
 * unicode and injection text → a 4xx with a message, never a 500, and the
 * database unchanged; a body over the limit → 413.
 */
import { testDialect } from "../support/test-database";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
let routes: { method: string; path: string; hasBody: boolean }[] = [];

beforeAll(async () => {
  server = await startTestServer({ seedSamples: true });
  // Something to point ids at.
  await server.api("POST", "/leads", { name: "Existente", phone: "+525500001111" });
  const openapi = (await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  routes = Object.entries(openapi.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path: path.replace(/^\/api\/v1/, ""), hasBody: Boolean(operation.requestBody) })),
  );
});
afterAll(async () => server.close());

/** Row counts of every table plus a checksum of the leads: any write shows. */
async function snapshot(): Promise<string> {
  const tables = await server.sql<{ name: string }>(
    testDialect() === "postgres"
      ? "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
      : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '__drizzle_migrations'",
  );
  const counts: string[] = [];
  for (const t of tables) counts.push(`${t.name}:${(await server.sql<{ n: number }>(`SELECT COUNT(*) AS n FROM "${t.name}"`))[0]!.n}`);
  const leads = (await server.sql<{ id: number; name: string | null; phone: string | null; pipeline_stage: string; score: number }>("SELECT id, name, phone, pipeline_stage, score FROM leads ORDER BY id"))
    .map((lead) => `${lead.id}${lead.name}${lead.phone ?? ""}${lead.pipeline_stage}${lead.score}`)
    .join("|");
  return `${counts.join(",")}#${leads}`;
}

const concrete = (path: string, id: string) => path.replace(/\{[^}]+\}/g, id);

const HOSTILE_VALUES: unknown[] = [
  12345,
  -1,
  1e308,
  "x".repeat(100_000),
  "'; DROP TABLE leads; --",
  "{{constructor.constructor('return process')()}}",
  "🏠 Ñandú — 北京",
  null,
  [],
  { $gt: "" },
  true,
];

describe("every admin route", () => {
  it("has routes to test", () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  it("answers 401 without a token, for every route", async () => {
    for (const route of routes) {
      const response = await server.api(route.method, concrete(route.path, "1"), route.hasBody ? {} : undefined, { token: null });
      expect(response.status, `${route.method} ${route.path}`).toBe(401);
    }
  });

  it("answers hostile bodies, params and queries with a 4xx and a message, never a 500, writing nothing", async () => {
    const before = await snapshot();
    for (const route of routes) {
      for (const id of ["abc", "-5", "999999999999", "1.5", "%27%3B"]) {
        const response = await server.api(route.method, concrete(route.path, id), route.hasBody ? {} : undefined);
        if (route.path.includes("{")) expect(response.status, `${route.method} ${route.path} id=${id}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${route.method} ${route.path} id=${id}`).toBeLessThan(500);
      }
      if (!route.hasBody) continue;
      const fields = ["name", "phone", "email", "new_stage", "reason", "lead_id", "agent_type", "content", "channel", "triggered_by", "trigger_condition", "status", "step_number", "action", "delay_hours", "variables", "force"];
      for (const value of HOSTILE_VALUES) {
        const body = Object.fromEntries(fields.map((field) => [field, value]));
        const response = await server.api(route.method, concrete(route.path, "1"), body);
        expect(response.status, `${route.method} ${route.path} with ${JSON.stringify(value).slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(typeof response.body.message).toBe("string");
      }
      for (const raw of ["not json", "[1,2,3]", '"a string"', "null", "{\"unterminated\": "]) {
        const response = await server.api(route.method, concrete(route.path, "1"), undefined, { rawBody: raw });
        expect(response.status, `${route.method} ${route.path} raw ${raw}`).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }
    }
    for (const route of routes.filter((r) => r.method === "GET" && !r.path.includes("{"))) {
      const response = await server.api("GET", `${route.path}?skip=-1&limit=abc&stage=%27%3B&lead_id=x&inactivity_days=0`);
      expect(response.status, route.path).toBeLessThan(500);
    }
    expect(await snapshot()).toBe(before);
  });

  it("refuses a body over the limit with 413", async () => {
    const response = await server.api("POST", "/leads", undefined, { rawBody: JSON.stringify({ name: "x".repeat(2_000_000) }) });
    expect(response.status).toBe(413);
  });
});
