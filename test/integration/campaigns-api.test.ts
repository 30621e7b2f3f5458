import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

const guideCampaign = {
  name: "Bienvenida Leads Nuevos",
  description: "Campaña para leads que acaban de entrar",
  channel: "telegram",
  triggered_by: "stage_change",
  trigger_condition: { stage: "entrada" },
};

const guideTemplate = {
  name: "Bienvenida Perfilador",
  channel: "telegram",
  content: "Hola {{name}}, gracias por tu interés. ¿Podrías contarme un poco sobre qué tipo de propiedad buscas?",
  agent_type: "perfilador",
  variables: ["name"],
};

describe("the guide's campaign, verbatim", () => {
  it("creates a campaign, adds both steps, activates it and reads it back", async () => {
    const template = await server.api("POST", "/templates", guideTemplate);
    expect(template.status).toBe(201);

    const created = await server.api("POST", "/campaigns", guideCampaign);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...guideCampaign, status: "draft" });
    const id = created.body.id;

    const step1 = await server.api("POST", `/campaigns/${id}/steps`, { step_number: 1, action: "send_message", message_template_id: template.body.id, delay_hours: 0 });
    expect(step1.status).toBe(201);
    const step2 = await server.api("POST", `/campaigns/${id}/steps`, { step_number: 2, action: "update_stage", target_stage: "perfilamiento", delay_hours: 24 });
    expect(step2.status).toBe(201);
    expect(step2.body).toMatchObject({ step_number: 2, action: "update_stage", target_stage: "perfilamiento", delay_hours: 24 });

    const activated = await server.api("PUT", `/campaigns/${id}`, { status: "active" });
    expect(activated.status).toBe(200);
    expect(activated.body.status).toBe("active");
    expect(activated.body.activated_at).toBe("2026-01-15T16:00:00.000Z");

    const read = await server.api("GET", `/campaigns/${id}`);
    expect(read.body.steps.map((s: { step_number: number }) => s.step_number)).toEqual([1, 2]);

    const list = await server.api("GET", "/campaigns");
    expect(list.body.map((c: { id: number }) => c.id)).toContain(id);

    const stats = await server.api("GET", `/campaigns/${id}/stats`);
    expect(stats.body).toMatchObject({ total_steps_executed: 0, unique_leads_contacted: 0, success_rate: 0, failure_rate: 0 });
    const logs = await server.api("GET", `/campaigns/${id}/logs?lead_id=1`);
    expect(logs.body).toMatchObject({ items: [], total: 0 });
  });

  it("accepts the guide's score and inactivity triggers", async () => {
    for (const trigger of [
      { triggered_by: "lead_score", trigger_condition: { score_min: 20, score_max: 50 } },
      { triggered_by: "inactivity", trigger_condition: { inactivity_days: 30 } },
      { triggered_by: "stage_change", trigger_condition: { stage: "perfilamiento" } },
    ]) {
      const response = await server.api("POST", "/campaigns", { ...guideCampaign, name: `Trigger ${trigger.triggered_by}`, ...trigger });
      expect(response.status).toBe(201);
    }
  });
});

describe("bad campaign input", () => {
  it("lists every problem with its path and writes nothing", async () => {
    const before = (await server.sql("SELECT COUNT(*) AS n FROM campaigns"))[0].n;
    const response = await server.api("POST", "/campaigns", {
      name: "",
      channel: "fax",
      triggered_by: "lead_score",
      trigger_condition: { score_min: 80, score_max: 120 },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("validation_error");
    const paths = response.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "channel", "trigger_condition.score_max"]));
    expect((await server.sql("SELECT COUNT(*) AS n FROM campaigns"))[0].n).toBe(before);
  });

  it("refuses a stage that does not exist and a condition that belongs to another trigger", async () => {
    const wrongStage = await server.api("POST", "/campaigns", { ...guideCampaign, trigger_condition: { stage: "negociacion" } });
    expect(wrongStage.status).toBe(400);
    expect(wrongStage.body.details[0].path).toBe("trigger_condition.stage");
    const mismatch = await server.api("POST", "/campaigns", { ...guideCampaign, triggered_by: "inactivity", trigger_condition: { stage: "entrada" } });
    expect(mismatch.status).toBe(400);
  });

  it("answers malformed JSON with 400, not a crash", async () => {
    const response = await server.api("POST", "/campaigns", undefined, { rawBody: '{"name": "x",' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("validation_error");
  });

  it("validates steps against the campaign: template, stage, duplicate number, delay", async () => {
    const campaign = (await server.api("POST", "/campaigns", { ...guideCampaign, name: "Pasos" })).body;
    const missingTemplate = await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "send_message", message_template_id: 9999, delay_hours: 0 });
    expect(missingTemplate.status).toBe(400);
    expect(missingTemplate.body.details[0].path).toBe("message_template_id");

    const noStage = await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", delay_hours: 1 });
    expect(noStage.status).toBe(400);
    const badDelay = await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", target_stage: "ganadísimo", delay_hours: -1 });
    expect(badDelay.body.details.map((d: { path: string }) => d.path).sort()).toEqual(["delay_hours", "target_stage"]);

    const ok = await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", target_stage: "perfilamiento", delay_hours: 0.001 });
    expect(ok.status).toBe(201);
    expect(ok.body.delay_hours).toBe(0.001);
    const duplicate = await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "start_call", delay_hours: 0 });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.details[0].path).toBe("step_number");
    expect((await server.sql("SELECT COUNT(*) AS n FROM campaign_steps WHERE campaign_id = ?", campaign.id))[0].n).toBe(1);
  });

  it("will not activate a campaign with no steps, nor revive an archived one", async () => {
    const campaign = (await server.api("POST", "/campaigns", { ...guideCampaign, name: "Vacía" })).body;
    const activate = await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" });
    expect(activate.status).toBe(409);
    expect((await server.api("GET", `/campaigns/${campaign.id}`)).body.status).toBe("draft");
    expect((await server.api("PUT", `/campaigns/${campaign.id}`, { status: "archived" })).status).toBe(200);
    expect((await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" })).status).toBe(409);
  });

  it("checks a new trigger condition against the stored trigger on PUT", async () => {
    const campaign = (await server.api("POST", "/campaigns", { ...guideCampaign, name: "Editar" })).body;
    const bad = await server.api("PUT", `/campaigns/${campaign.id}`, { trigger_condition: { inactivity_days: 3 } });
    expect(bad.status).toBe(400);
    const good = await server.api("PUT", `/campaigns/${campaign.id}`, { triggered_by: "inactivity", trigger_condition: { inactivity_days: 3 } });
    expect(good.status).toBe(200);
    expect(good.body.trigger_condition).toEqual({ inactivity_days: 3 });
  });

  it("answers 404 for unknown ids and 401 without the token", async () => {
    expect((await server.api("GET", "/campaigns/424242")).status).toBe(404);
    expect((await server.api("POST", "/campaigns/424242/steps", { step_number: 1, action: "start_call", delay_hours: 0 })).status).toBe(404);
    expect((await server.api("GET", "/campaigns/424242/stats")).status).toBe(404);
    expect((await server.api("GET", "/campaigns", undefined, { token: null })).status).toBe(401);
    expect((await server.api("GET", "/campaigns", undefined, { token: "wrong" })).status).toBe(401);
  });
});

describe("changes of one campaign at the same moment", () => {
  const draftWithOneStep = async (name: string) => {
    const campaign = (await server.api("POST", "/campaigns", { ...guideCampaign, name })).body;
    await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", target_stage: "perfilamiento", delay_hours: 24 });
    return campaign.id as number;
  };

  it("are decided one after another: one activation, one step per number, no step removed from an active campaign", async () => {
    for (let round = 0; round < 4; round++) {
      const id = await draftWithOneStep(`Simultánea ${round}`);
      const [activate, activateAgain, step2, step2Again] = await Promise.all([
        server.api("PUT", `/campaigns/${id}`, { status: "active" }),
        server.api("PUT", `/campaigns/${id}`, { status: "active" }),
        server.api("POST", `/campaigns/${id}/steps`, { step_number: 2, action: "update_stage", target_stage: "calificacion_financiera", delay_hours: 48 }),
        server.api("POST", `/campaigns/${id}/steps`, { step_number: 2, action: "update_stage", target_stage: "calificacion_financiera", delay_hours: 72 }),
      ]);
      expect([activate.status, activateAgain.status]).toEqual([200, 200]);
      // The second step number 2 sees the first: the rule's 400, never the database's unique index.
      expect([step2.status, step2Again.status].sort()).toEqual([201, 400]);
      const audits = await server.sql<{ before: string; after: string }>("SELECT before, after FROM audit_logs WHERE action = 'campaign.update' AND entity_id = ?", id);
      // Each update audited with what it saw: exactly one saw the draft become active.
      expect(audits.filter((a) => JSON.parse(a.before).status === "draft" && JSON.parse(a.after).status === "active")).toHaveLength(1);
    }

    for (let round = 0; round < 4; round++) {
      const id = await draftWithOneStep(`Quitar o activar ${round}`);
      const step1 = (await server.api("GET", `/campaigns/${id}`)).body.steps[0];
      // The dashboard removes steps (web/routes/campaign-steps.ts) through the same service.
      const [activate, remove] = await Promise.allSettled([
        server.api("PUT", `/campaigns/${id}`, { status: "active" }),
        server.prospecta.services.campaigns.removeStep(id, step1.id, "dashboard:test"),
      ]);
      const after = (await server.api("GET", `/campaigns/${id}`)).body;
      // Whichever came first, the other saw it: an active campaign keeps its step, a campaign without steps stays a draft.
      if (after.status === "active") {
        expect(after.steps).toHaveLength(1);
        expect(remove.status).toBe("rejected");
      } else {
        expect(after.steps).toHaveLength(0);
        expect(activate.status === "fulfilled" && activate.value.status).toBe(409);
      }
    }
  });
});
