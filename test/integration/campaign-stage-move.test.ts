/**
 * A campaign's own update_stage step: the enrollment's moved_by_own_step flag
 * and the stage move commit in one transaction. A crash between them cannot
 * leave a lead moved by its campaign but then exited for leaving the stage,
 * nor a flag that keeps an enrollment alive for a move that never happened.
 */
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { rawRows } from "../../db/prepared";
import { markMovedByOwnStep } from "../../db/repositories/enrollments-repository";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

/** A campaign on entering `entrada`: step 1 moves the lead to `target`, step 2 (24 h later) moves it on to calificacion_financiera. */
async function stageCampaign(target: string): Promise<number> {
  const campaign = (await server.api("POST", "/campaigns", { name: "Avance", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } })).body;
  await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", target_stage: target, delay_hours: 0 });
  await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 2, action: "update_stage", target_stage: "calificacion_financiera", delay_hours: 24 });
  expect((await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" })).status).toBe(200);
  return campaign.id as number;
}

async function createLead(name: string): Promise<number> {
  const response = await server.api("POST", "/leads", { name });
  expect(response.status).toBe(201);
  return response.body.id as number;
}

const enrollmentOf = async (leadId: number) => (await server.sql("SELECT id, status, moved_by_own_step FROM campaign_enrollments WHERE lead_id = ?", leadId))[0];
const stageOf = async (leadId: number) => (await server.sql("SELECT pipeline_stage FROM leads WHERE id = ?", leadId))[0].pipeline_stage;

describe("a campaign's own stage move", () => {
  it("commits with its flag: the lead moves, the enrollment stays and runs its next step", async () => {
    server = await startTestServer();
    await stageCampaign("perfilamiento");
    const lead = await createLead("Ana López");
    await server.prospecta.campaignEngine.idle();

    expect(await stageOf(lead)).toBe("perfilamiento");
    expect(await enrollmentOf(lead)).toMatchObject({ status: "active", moved_by_own_step: 1 });
    server.clock.advance(24 * 3_600_000);
    await server.api("POST", "/campaigns/run");
    expect(await stageOf(lead)).toBe("calificacion_financiera");
    expect(await enrollmentOf(lead)).toMatchObject({ status: "completed" });
  });

  it("a refused move leaves the flag unset, and the log says why", async () => {
    server = await startTestServer();
    const campaignId = await stageCampaign("agendado"); // entrada → agendado skips stages: refused without force
    const lead = await createLead("Beto Ruiz");
    await server.prospecta.campaignEngine.idle();

    expect(await stageOf(lead)).toBe("entrada");
    expect(await enrollmentOf(lead)).toMatchObject({ status: "active", moved_by_own_step: 0 });
    const [log] = (await server.api("GET", `/campaigns/${campaignId}/logs?lead_id=${lead}`)).body.items;
    expect(log).toMatchObject({ step_number: 1, status: "failed", needs_review: false });
    expect(log.error).toBeTruthy();
  });

  it("a crash inside the move's transaction, after the move and the flag, leaves neither", async () => {
    server = await startTestServer();
    const campaign = (await server.api("POST", "/campaigns", { name: "Espera", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } })).body;
    await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", target_stage: "perfilamiento", delay_hours: 24 });
    await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" });
    const lead = await createLead("Carla Díaz");
    const enrollment = await enrollmentOf(lead);

    // What step-actions does for update_stage, with the process dying just before the commit.
    await expect(
      server.prospecta.services.pipeline.moveLeadToStage(lead, { new_stage: "perfilamiento", reason: "Campaña" }, `campaign:${campaign.id}`, {
        inSameTransaction: async (tx) => {
          await markMovedByOwnStep(tx, enrollment.id, server.clock.now());
          throw new Error("process died here");
        },
      }),
    ).rejects.toThrow("process died here");

    expect(await stageOf(lead)).toBe("entrada");
    expect(await enrollmentOf(lead)).toMatchObject({ status: "active", moved_by_own_step: 0 });
    expect(await server.sql("SELECT to_stage FROM lead_stage_history WHERE lead_id = ?", lead)).toEqual([{ to_stage: "entrada" }]);
    expect((await server.sql("SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'lead.stage_change' AND entity_id = ?", lead))[0].n).toBe(0);
  });

});

describe("a stage move and the enrollments it causes", () => {
  it("commit together: a crash after the enrollment, before the commit, leaves neither", async () => {
    server = await startTestServer();
    const campaign = (await server.api("POST", "/campaigns", { name: "Perfilando", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "perfilamiento" } })).body;
    await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", target_stage: "calificacion_financiera", delay_hours: 24 });
    await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" });
    let dies = true;
    const enrolledInside: number[] = [];
    // Registered after the campaign engine's: it runs once the lead is enrolled, still inside the move's transaction.
    server.prospecta.events.onStageEnteredWithin(async (tx, [event]) => {
      if (!event) return;
      const rows = await rawRows<{ id: number }>(tx, sql`SELECT id FROM campaign_enrollments WHERE lead_id = ${event.lead.id} AND status = 'active'`);
      if (event.to_stage === "perfilamiento") enrolledInside.push(rows.length);
      if (dies) throw new Error("process died here");
    });
    // A lead's creation is a move into entrada: it dies with it, and nothing of it is written.
    expect((await server.api("POST", "/leads", { name: "Dora Ruiz" })).status).toBe(500);
    expect((await server.sql("SELECT COUNT(*) AS n FROM leads WHERE name = 'Dora Ruiz'"))[0].n).toBe(0);
    dies = false;
    const survivor = await createLead("Elena Paz");
    dies = true;

    expect((await server.api("POST", `/pipeline/leads/${survivor}/move-stage`, { new_stage: "perfilamiento" })).status).toBe(500);
    // The enrollment was written in the move's transaction, and went with it.
    expect(enrolledInside).toEqual([1]);
    expect(await stageOf(survivor)).toBe("entrada");
    expect(await enrollmentOf(survivor)).toBeUndefined();

    dies = false;
    expect((await server.api("POST", `/pipeline/leads/${survivor}/move-stage`, { new_stage: "perfilamiento" })).status).toBe(200);
    expect(await enrollmentOf(survivor)).toMatchObject({ status: "active" });
  });
});
