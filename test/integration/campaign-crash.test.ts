/**
 * A process killed with SIGKILL in the middle of a campaign pass, then
 * restarted on the same database: no message is sent twice, no step is lost,
 * and the step that was in flight is flagged for review.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { adminApi, startProductProcess, telegramProcessEnv } from "./product-process";
import { startFakeTelegram } from "../fakes/telegram-bot-api";
import { openRawSql } from "../support/raw-sql";
import { createTestDatabase } from "../support/test-database";

const TOKEN = "crash-test-admin-token-0123";
const dir = mkdtempSync(join(tmpdir(), "prospecta-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("a crash in the middle of a pass", () => {
  it("sends no duplicate and loses no step after SIGKILL and restart", async () => {
    const telegram = await startFakeTelegram();
    const database = await createTestDatabase(dir, "crash");
    const env = {
      DATABASE_URL: database.url,
      ADMIN_API_TOKEN: TOKEN,
      ...telegramProcessEnv(telegram),
      CAMPAIGN_RUNNER_CRON: "* * * * * *",
      CAMPAIGN_STEP_LEASE_SECONDS: "1",
    };
    const first = await startProductProcess(env);
    const api = adminApi(TOKEN);
    try {
      const template = await api(first.baseUrl, "POST", "/templates", { name: "Hola", channel: "telegram", content: "Hola {{first_name}}" });
      const campaign = await api(first.baseUrl, "POST", "/campaigns", { name: "Crash", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } });
      await api(first.baseUrl, "POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "send_message", message_template_id: template.id, delay_hours: 0 });
      // Step 2 is due about 2 s after step 1: after the crash and the restart.
      await api(first.baseUrl, "POST", `/campaigns/${campaign.id}/steps`, { step_number: 2, action: "update_stage", target_stage: "perfilamiento", delay_hours: 0.0006 });
      await api(first.baseUrl, "PUT", `/campaigns/${campaign.id}`, { status: "active" });

      telegram.holdChat(3); // the send to chat 3 reaches "Telegram" but its answer never comes back
      for (let chat = 1; chat <= 5; chat++) await api(first.baseUrl, "POST", "/leads", { name: `Lead ${chat}`, telegram_chat_id: chat });
      await until(() => telegram.delivered().length === 4 && telegram.calls.some((c) => c.body.chat_id === 3), 5000, "four deliveries and the held one");
      first.child.kill("SIGKILL");
      await new Promise((resolve) => first.child.once("exit", resolve));

      const second = await startProductProcess(env);
      const db = openRawSql(env.DATABASE_URL);
      try {
        // A step's outcome is written just after its move: wait for both.
        const count = async (query: string) => (await db.query<{ n: number }>(query))[0]!.n;
        await until(
          async () =>
            (await count("SELECT COUNT(*) AS n FROM leads WHERE pipeline_stage = 'perfilamiento'")) === 5 &&
            (await count("SELECT COUNT(*) AS n FROM campaign_logs WHERE step_number = 2 AND status <> 'in_flight'")) === 5,
          10_000,
          "every lead moved by step 2, and its outcome recorded",
        );
        const sends = telegram.calls.filter((c) => c.method === "sendMessage").map((c) => Number(c.body.chat_id));
        expect(sends.sort()).toEqual([1, 2, 3, 4, 5]);
        const [lead3] = await db.query<{ id: number }>("SELECT id FROM leads WHERE telegram_chat_id = 3");
        expect((await db.query("SELECT status, needs_review FROM campaign_logs WHERE lead_id = ? AND step_number = 1", lead3!.id))[0]).toEqual({
          status: "in_flight",
          needs_review: 1,
        });
        expect(await count("SELECT COUNT(*) AS n FROM campaign_logs WHERE step_number = 2 AND status = 'success'")).toBe(5);
      } finally {
        await db.close();
        second.child.kill("SIGTERM");
        await new Promise((resolve) => second.child.once("exit", resolve));
      }
    } finally {
      await first.stop("SIGKILL"); // at once if it already exited
      await telegram.close();
      await database.drop();
    }
  });
});
