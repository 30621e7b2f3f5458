/**
 * On PostgreSQL a campaign step is a graphile-worker job, enqueued in the
 * transaction that makes the step due and run by the engine at its time
 * (src/jobs/graphile-engine.ts, migrations-pg 0004). Runs with
 * `npm run test:postgres`; on SQLite the in-process scheduler has its own tests.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { testDialect } from "../support/test-database";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A campaign that moves each new lead to perfilamiento an hour after it enters entrada. */
async function activateCampaignOnEntrada(server: TestServer): Promise<void> {
  const campaign = (
    await server.api("POST", "/campaigns", { name: "Calificación", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } })
  ).body;
  await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", target_stage: "perfilamiento", delay_hours: 1 });
  await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" });
}

describe.skipIf(testDialect() !== "postgres")("the job engine on PostgreSQL", () => {
  it("enqueues a step's job with the enrollment, never for a refused write, and runs it at its time", async () => {
    // The periodic sweep must not get there first: it fires on 1 January only.
    server = await startTestServer({ env: { CAMPAIGN_RUNNER_CRON: "0 0 1 1 *" } });
    await activateCampaignOnEntrada(server);

    const lead = (await server.api("POST", "/leads", { name: "Ana", phone: "+525511112222" })).body;
    const [enrollment] = await server.sql("SELECT id, next_run_at FROM campaign_enrollments WHERE lead_id = ?", lead.id);
    const jobs = () => server!.sql("SELECT key, run_at, task_identifier FROM graphile_worker.jobs WHERE task_identifier = 'campaign_step'");
    expect(await jobs()).toEqual([{ key: `campaign_step:${enrollment.id}`, run_at: enrollment.next_run_at, task_identifier: "campaign_step" }]);
    expect(enrollment.next_run_at).toBe(server.clock.now().getTime() + 3_600_000);

    // A refused creation (the phone is taken) rolls back its enrollment, and the job with it.
    expect((await server.api("POST", "/leads", { name: "Otra Ana", phone: "+525511112222" })).status).toBe(409);
    expect(await jobs()).toHaveLength(1);

    // An hour later on the product's clock the step is due; the engine's job runs it.
    server.clock.set(new Date(server.clock.now().getTime() + 3_600_000).toISOString());
    await server.prospecta.startScheduler();
    await vi.waitFor(async () => expect((await server!.api("GET", `/leads/${lead.id}`)).body.pipeline_stage).toBe("perfilamiento"), { timeout: 15_000, interval: 200 });
    // The outcome is recorded after the move commits (its own transaction): it may land a moment later.
    await vi.waitFor(
      async () => expect(await server!.sql("SELECT status, step_number FROM campaign_logs WHERE lead_id = ?", lead.id)).toEqual([{ status: "success", step_number: 1 }]),
      { timeout: 5_000, interval: 100 },
    );
    // Done jobs leave the queue; the completed enrollment has none left.
    await vi.waitFor(async () => expect(await jobs()).toEqual([]), { timeout: 5_000 });
  });

  it("takes a step's pending job out of the queue when a run claims the step (migrations-pg 0005, 0007)", async () => {
    server = await startTestServer({ env: { CAMPAIGN_RUNNER_CRON: "0 0 1 1 *" } });
    await activateCampaignOnEntrada(server);
    const lead = (await server.api("POST", "/leads", { name: "Ana", phone: "+525511113333" })).body;
    const [enrollment] = await server.sql("SELECT id FROM campaign_enrollments WHERE lead_id = ?", lead.id);
    const jobKeys = async () => (await server!.sql("SELECT key FROM graphile_worker.jobs WHERE task_identifier = 'campaign_step'")).map((job: { key: string }) => job.key);
    expect(await jobKeys()).toEqual([`campaign_step:${enrollment.id}`]);
    // What a claim writes (step-run-repository's setNextRun(null)): the enrollment stays active, its step taken.
    await server.sql("UPDATE campaign_enrollments SET next_run_at = NULL WHERE id = ?", enrollment.id);
    expect(await jobKeys()).toEqual([]);
  });

  it("enqueues the jobs of leads enrolled together (an activation over the stage) in one go, one per enrollment (migrations-pg 0007)", async () => {
    server = await startTestServer({ env: { CAMPAIGN_RUNNER_CRON: "0 0 1 1 *" } });
    const leads = [];
    for (const phone of ["+525511114441", "+525511114442", "+525511114443"]) leads.push((await server.api("POST", "/leads", { name: "En espera", phone })).body);
    await activateCampaignOnEntrada(server);
    const enrollments = await server.sql("SELECT id, next_run_at FROM campaign_enrollments ORDER BY id");
    expect(enrollments).toHaveLength(3);
    const jobs = await server.sql(
      // The payload is only in the engine's own table (its jobs view leaves it out): read here, never by the product.
      "SELECT j.key, j.run_at, j.max_attempts, p.payload::jsonb::text AS payload FROM graphile_worker.jobs j JOIN graphile_worker._private_jobs p ON p.id = j.id WHERE j.task_identifier = 'campaign_step' ORDER BY j.id",
    );
    expect(jobs).toEqual(
      enrollments.map((enrollment: { id: number; next_run_at: number }) => ({
        key: `campaign_step:${enrollment.id}`,
        run_at: enrollment.next_run_at,
        max_attempts: 5,
        payload: `{"enrollment_id": ${enrollment.id}}`,
      })),
    );
  });

  it("moves a step's job when its enrollment is scheduled again, and drops it when the enrollment ends (migrations-pg 0007)", async () => {
    server = await startTestServer({ env: { CAMPAIGN_RUNNER_CRON: "0 0 1 1 *" } });
    await activateCampaignOnEntrada(server);
    const lead = (await server.api("POST", "/leads", { name: "Ana", phone: "+525511115555" })).body;
    const [enrollment] = await server.sql("SELECT id, next_run_at FROM campaign_enrollments WHERE lead_id = ?", lead.id);
    const jobs = () => server!.sql("SELECT key, run_at FROM graphile_worker.jobs WHERE task_identifier = 'campaign_step'");
    // What a postponement writes (quiet hours): the same job, due later.
    const later = new Date(enrollment.next_run_at + 7_200_000);
    await server.sql("UPDATE campaign_enrollments SET next_run_at = ? WHERE id = ?", later, enrollment.id);
    expect(await jobs()).toEqual([{ key: `campaign_step:${enrollment.id}`, run_at: later.getTime() }]);
    // An update that changes neither leaves it alone; an exit takes it out.
    await server.sql("UPDATE campaign_enrollments SET updated_at = ? WHERE id = ?", later, enrollment.id);
    expect(await jobs()).toHaveLength(1);
    await server.sql("UPDATE campaign_enrollments SET status = 'exited', next_run_at = NULL WHERE id = ?", enrollment.id);
    expect(await jobs()).toEqual([]);
  });

  it("runs the steps of many jobs due at once each exactly once, in runs they share (the periodic sweep off)", async () => {
    server = await startTestServer({ env: { CAMPAIGN_RUNNER_CRON: "0 0 1 1 *" } });
    await activateCampaignOnEntrada(server);
    const leads: { id: number }[] = [];
    for (let i = 0; i < 24; i++) leads.push((await server.api("POST", "/leads", { name: `Lead ${i}`, phone: `+5255111160${String(i).padStart(2, "0")}` })).body);
    expect(await server.sql("SELECT key FROM graphile_worker.jobs WHERE task_identifier = 'campaign_step'")).toHaveLength(24);

    server.clock.set(new Date(server.clock.now().getTime() + 3_600_000).toISOString());
    await server.prospecta.startScheduler();
    await vi.waitFor(
      async () => expect(await server!.sql("SELECT count(*)::int AS n FROM leads WHERE pipeline_stage = 'perfilamiento'")).toEqual([{ n: 24 }]),
      { timeout: 20_000, interval: 200 },
    );
    await vi.waitFor(
      async () =>
        expect(await server!.sql("SELECT lead_id, count(*)::int AS runs FROM campaign_logs WHERE status = 'success' GROUP BY lead_id ORDER BY lead_id")).toEqual(
          leads.map((lead) => ({ lead_id: lead.id, runs: 1 })),
        ),
      { timeout: 5_000, interval: 100 },
    );
    expect(await server.sql("SELECT count(*)::int AS n FROM campaign_logs WHERE status <> 'success'")).toEqual([{ n: 0 }]);
    await vi.waitFor(async () => expect(await server!.sql("SELECT key FROM graphile_worker.jobs WHERE task_identifier = 'campaign_step'")).toEqual([]), { timeout: 5_000 });
  });
});
