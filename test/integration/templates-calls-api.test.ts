import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

describe("templates", () => {
  it("extracts variables when not given, and previews for a lead without printing a raw placeholder", async () => {
    const created = await server.api("POST", "/templates", {
      name: "Bienvenida Perfilador",
      channel: "telegram",
      content: "Hola {{name}}, gracias por tu interés. Buscas en {{location}} {{budget}}.",
      agent_type: "perfilador",
    });
    expect(created.status).toBe(201);
    expect(created.body.variables).toEqual(["name", "location", "budget"]);

    const nameless = (await server.api("POST", "/leads", { name: "Temporal", budget_max: 3_500_000 })).body;
    expect((await server.api("PATCH", `/leads/${nameless.id}`, { name: null })).status).toBe(200);
    const preview = await server.api("POST", `/templates/${created.body.id}/render`, { lead_id: nameless.id });
    expect(preview.status).toBe(200);
    expect(preview.body.content).toBe("Hola, gracias por tu interés. Buscas en la zona que te interesa hasta $3,500,000 MXN.");
    expect(preview.body.content).not.toContain("{{");
    expect(preview.body.missing_variables).toEqual(["name", "location"]);
  });

  it("saves a template with an unknown variable but warns, and never shows it raw", async () => {
    const response = await server.api("POST", "/templates", { name: "Typo", channel: "telegram", content: "Hola {{nmae}}, ¿cómo estás?" });
    expect(response.status).toBe(201);
    expect(response.body.warnings).toEqual([expect.stringMatching(/nmae/)]);
    const lead = (await server.api("POST", "/leads", { name: "Ana" })).body;
    const preview = await server.api("POST", `/templates/${response.body.id}/render`, { lead_id: lead.id });
    expect(preview.body.content).toBe("Hola, ¿cómo estás?");

    const undeclared = await server.api("POST", "/templates", { name: "X", channel: "telegram", content: "Hola {{name}}", variables: [] });
    expect(undeclared.body.variables).toEqual(["name"]);
    expect(undeclared.body.warnings).toEqual([expect.stringMatching(/no estaba en variables/)]);
    expect((await server.api("POST", "/templates", { name: "Bien", channel: "telegram", content: "Hola {{name}}" })).body.warnings).toEqual([]);
  });

  it("re-extracts variables when the content changes", async () => {
    const template = (await server.api("POST", "/templates", { name: "Editar", channel: "telegram", content: "Hola {{name}}" })).body;
    const updated = await server.api("PUT", `/templates/${template.id}`, { content: "Hola {{first_name}}, ¿sigues en {{location}}?" });
    expect(updated.body.variables).toEqual(["first_name", "location"]);
    expect((await server.api("GET", `/templates/${template.id}`)).body.content).toMatch(/sigues/);
  });

  it("will not delete a template an active campaign sends, and deletes it once that campaign is archived", async () => {
    const template = (await server.api("POST", "/templates", { name: "En uso", channel: "telegram", content: "Hola" })).body;
    const campaign = (
      await server.api("POST", "/campaigns", { name: "Usa plantilla", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } })
    ).body;
    await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "send_message", message_template_id: template.id, delay_hours: 0 });
    await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" });

    const refused = await server.api("DELETE", `/templates/${template.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/Usa plantilla/);
    expect((await server.api("GET", `/templates/${template.id}`)).status).toBe(200);

    await server.api("PUT", `/campaigns/${campaign.id}`, { status: "archived" });
    expect((await server.api("DELETE", `/templates/${template.id}`)).status).toBe(204);
    expect((await server.api("GET", `/templates/${template.id}`)).status).toBe(404);
    expect((await server.api("GET", "/templates")).body.map((t: { id: number }) => t.id)).not.toContain(template.id);
  });

  it("answers 404 for unknown template or lead", async () => {
    expect((await server.api("GET", "/templates/9999")).status).toBe(404);
    expect((await server.api("POST", "/templates/1/render", { lead_id: 9999 })).status).toBe(404);
  });
});

describe("calls", () => {
  it("initiate answers 503 with what to configure while there is no voice provider", async () => {
    const lead = (await server.api("POST", "/leads", { name: "Llamar", phone: "+525599998888" })).body;
    const response = await server.api("POST", "/calls/initiate", { lead_id: lead.id, campaign_id: null, agent_type: "perfilador" });
    expect(response.status).toBe(503);
    expect(response.body.message).toMatch(/VOICE_PROVIDER=twilio/);
    expect((await server.sql("SELECT COUNT(*) AS n FROM voice_calls"))[0].n).toBe(0);
  });

  it("checks the request before answering 503", async () => {
    expect((await server.api("POST", "/calls/initiate", { lead_id: 9999, agent_type: "perfilador" })).status).toBe(404);
    expect((await server.api("POST", "/calls/initiate", { lead_id: "uno" })).status).toBe(400);
  });

  it("lists a lead's calls and shows one with its transcript and summary", async () => {
    const lead = (await server.api("POST", "/leads", { name: "Historial" })).body;
    const now = server.clock.now().getTime();
    const [call] = await server.sql(
      `INSERT INTO voice_calls (lead_id, agent_type, status, summary, created_at, updated_at)
       VALUES (?, 'financiero', 'completed', 'Ingreso de 40 mil, Infonavit', ?, ?) RETURNING id`,
      lead.id,
      new Date(now),
      new Date(now),
    );
    // The text is a value: server.sql takes every "?" for a placeholder, even inside a string.
    await server.sql("INSERT INTO call_transcripts (call_id, speaker, text, at) VALUES (?, 'agent', 'Hola', ?), (?, 'lead', ?, ?) RETURNING id", call.id, new Date(now), call.id, "Hola, ¿quién habla?", new Date(now + 1));

    const list = await server.api("GET", `/calls/leads/${lead.id}`);
    expect(list.body).toHaveLength(1);
    const detail = await server.api("GET", `/calls/${call.id}`);
    expect(detail.body).toMatchObject({ status: "completed", summary: "Ingreso de 40 mil, Infonavit" });
    expect(detail.body.transcript.map((t: { speaker: string }) => t.speaker)).toEqual(["agent", "lead"]);
    expect((await server.api("GET", "/calls/9999")).status).toBe(404);
    expect((await server.api("GET", "/calls/leads/9999")).status).toBe(404);
  });
});

describe("docs and health", () => {
  it("serves health without a token, the OpenAPI document and the docs UI", async () => {
    expect(await (await fetch(`${server.baseUrl}/healthz`)).json()).toEqual({ status: "ok" });
    const openapi = (await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(["/api/v1/campaigns/{id}/steps", "/api/v1/pipeline/metrics", "/api/v1/templates/{id}/render", "/api/v1/calls/initiate"]),
    );
    expect((await fetch(`${server.baseUrl}/docs`)).status).toBe(200);
  });
});
