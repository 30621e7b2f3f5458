/**
 * `npm run bench:campaigns`: the campaign engine at agency scale.
 *
 * 100,000 leads and 20 active campaigns of the three trigger kinds. Measures
 * one trigger scan (the first, which enrolls, and a steady-state one), the
 * rate of executing 10,000 send_message steps against the fake Telegram Bot
 * API running in its own process with the rate limit lifted (so it measures
 * the engine, not Telegram's cap), and the peak RSS of this process.
 * Prints a table to stderr and one JSON object as the last line of stdout.
 */
import { cpus } from "node:os";
import { sql } from "drizzle-orm";
import { rawRun } from "../../db/prepared";
import { buildBenchProspecta, startFakeTelegramProcess } from "./bench-setup";
import { PIPELINE_STAGES } from "../../src/domain/vocabulary";

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const STEPS = Number(process.env.BENCH_STEPS ?? 10_000);
const DAY = 86_400_000;

const telegram = await startFakeTelegramProcess("999:BENCH");
const fake = telegram.child;
const { prospecta, cleanUp } = await buildBenchProspecta("campaigns", telegram, {
  CAMPAIGN_CONCURRENCY: process.env.CAMPAIGN_CONCURRENCY ?? "32",
});
const { db, services, campaignEngine } = prospecta;
const now = Date.now();

// --- seed leads straight into SQLite, in raw SQL through the product's database --------------
let started = performance.now();
await db.transaction(async (q) => {
  for (let i = 0; i < LEADS; i++) {
    const stage = PIPELINE_STAGES[i % 5]!; // open stages only: closed leads never enroll
    const changed = now - (i % 180) * DAY;
    await rawRun(
      q,
      sql`INSERT INTO leads (name, telegram_chat_id, pipeline_stage, furthest_stage_rank, stage_changed_at, last_activity_at, score, currency, created_at, updated_at)
          VALUES (${`Lead ${i}`}, ${100_000 + i}, ${stage}, ${i % 5}, ${changed}, ${now - (i % 60) * DAY}, ${i % 101}, 'MXN', ${changed}, ${changed})`,
    );
  }
});
await db.run((q) => rawRun(q, sql`ANALYZE`));
const seedMs = performance.now() - started;

// --- 20 campaigns of the three trigger kinds ------------------------------------------------
const template = await services.templates.createTemplate({ name: "Bench", channel: "telegram", content: "Hola {{first_name}}, ¿sigues buscando {{property_type}}?" }, "bench");
const triggers = [
  ...["entrada", "perfilamiento", "calificacion_financiera", "agendado", "seguimiento", "entrada", "perfilamiento"].map((stage) => ({
    triggered_by: "stage_change" as const,
    trigger_condition: { stage },
  })),
  ...[0, 10, 20, 30, 40, 50, 60].map((min) => ({ triggered_by: "lead_score" as const, trigger_condition: { score_min: min, score_max: min + 15 } })),
  ...[7, 14, 21, 30, 45, 50].map((days) => ({ triggered_by: "inactivity" as const, trigger_condition: { inactivity_days: days } })),
];
for (const [index, trigger] of triggers.entries()) {
  const campaign = await services.campaigns.createCampaign({ name: `Bench ${index}`, channel: "telegram", ...trigger }, "bench");
  await services.campaigns.addStep(campaign.id, { step_number: 1, action: "send_message", message_template_id: template.id, delay_hours: 24 }, "bench");
}
// Activated in SQL, not through the service, so nothing enrolls before the measured scan;
// dated a week back, like campaigns that have been running (a campaign edited minutes ago gets a full scan).
await db.run((q) => rawRun(q, sql`UPDATE campaigns SET status = 'active', updated_at = ${now - 7 * DAY}`));

// --- trigger scans ---------------------------------------------------------------------------
started = performance.now();
const firstScan = await campaignEngine.scanTriggers();
const firstScanMs = performance.now() - started;
started = performance.now();
const fullScan = await campaignEngine.scanTriggers({ full: true });
const fullScanMs = performance.now() - started;
// An hour of agency life between two passes: 1% of the leads change (a stage, an answer).
await db.run((q) => rawRun(q, sql`UPDATE leads SET updated_at = ${Date.now()}, last_activity_at = ${Date.now()} WHERE id % 100 = 0`));
started = performance.now();
const steadyScan = await campaignEngine.scanTriggers();
const steadyScanMs = performance.now() - started;

// --- 10,000 due send_message steps ------------------------------------------------------------
const sendCampaign = await services.campaigns.createCampaign(
  { name: "Bench envíos", channel: "telegram", triggered_by: "lead_score", trigger_condition: { score_min: 0, score_max: 100 } },
  "bench",
);
await services.campaigns.addStep(sendCampaign.id, { step_number: 1, action: "send_message", message_template_id: template.id, delay_hours: 0 }, "bench");
await db.run((q) => rawRun(q, sql`UPDATE campaigns SET status = 'active' WHERE id = ${sendCampaign.id}`));
await db.run((q) =>
  rawRun(
    q,
    sql`INSERT INTO campaign_enrollments (campaign_id, lead_id, trigger_key, status, next_step_number, next_run_at, enrolled_at, updated_at)
        SELECT ${sendCampaign.id}, id, 'score', 'active', 1, ${now - 1000}, ${now}, ${now} FROM leads ORDER BY id LIMIT ${STEPS}`,
  ),
);
started = performance.now();
const run = await campaignEngine.runDue();
const runMs = performance.now() - started;
const delivered = await new Promise<number>((resolve) => {
  fake.on("message", (message: { type: string; delivered: number }) => {
    if (message.type === "count") resolve(message.delivered);
  });
  fake.send("count");
});

const peakRssMb = process.resourceUsage().maxRSS / 1024;
await cleanUp();
fake.kill("SIGTERM");

const stepsPerSecond = Math.round((run.success / runMs) * 1000);
const result = {
  leads: LEADS,
  campaigns: triggers.length,
  seed_ms: Math.round(seedMs),
  scan_first_ms: Math.round(firstScanMs),
  scan_first_enrolled: firstScan.enrolled,
  scan_full_ms: Math.round(fullScanMs),
  scan_full_enrolled: fullScan.enrolled,
  scan_incremental_ms: Math.round(steadyScanMs),
  scan_incremental_exited: steadyScan.exited,
  steps: STEPS,
  steps_succeeded: run.success,
  steps_failed: run.failed,
  delivered_by_fake: delivered,
  run_ms: Math.round(runMs),
  steps_per_second: stepsPerSecond,
  peak_rss_mb: Math.round(peakRssMb),
  targets: { scan_ms: 1000, steps_per_second: 1000, peak_rss_mb: 300 },
  met: { scan: Math.max(firstScanMs, fullScanMs, steadyScanMs) < 1000, steps_per_second: stepsPerSecond >= 1000, peak_rss: peakRssMb < 300 },
  node: process.version,
  cpus: cpus().length,
};
console.error(
  [
    `seed ${LEADS} leads: ${result.seed_ms} ms`,
    `scan (first, enrolls ${firstScan.enrolled}): ${result.scan_first_ms} ms; full again: ${result.scan_full_ms} ms; incremental after 1% changed: ${result.scan_incremental_ms} ms (exited ${steadyScan.exited})`,
    `${run.success}/${STEPS} send_message steps in ${result.run_ms} ms = ${stepsPerSecond} steps/s (fake delivered ${delivered})`,
    `peak RSS ${result.peak_rss_mb} MB`,
  ].join("\n"),
);
console.log(JSON.stringify(result));
