/** GET /metrics in Prometheus format, behind the admin token or METRICS_TOKEN. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TEST_TOKEN, type TestServer } from "./test-server";

const METRICS_TOKEN = "prometheus-scrape-token-123";
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ seedSamples: true, env: { METRICS_TOKEN } });
  await server.api("POST", "/leads", { name: "Uno" });
  const lead = (await server.api("POST", "/leads", { name: "Dos" })).body;
  await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "perfilamiento" });
});
afterAll(async () => server.close());

const scrape = (token: string | null) =>
  fetch(`${server.baseUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("metrics", () => {
  it("exposes pipeline, message, campaign and call totals from the database", async () => {
    const response = await scrape(METRICS_TOKEN);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/prospecta_leads\{stage="entrada"\} 1/);
    expect(text).toMatch(/prospecta_leads\{stage="perfilamiento"\} 1/);
    expect(text).toContain("# TYPE prospecta_llm_call_seconds histogram");
    expect(text).toContain("prospecta_process_resident_memory_bytes");
  });

  it("accepts the admin token too, and nothing else", async () => {
    expect((await scrape(TEST_TOKEN)).status).toBe(200);
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape("prometheus-scrape-token-12X")).status).toBe(401);
  });
});
