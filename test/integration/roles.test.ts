/**
 * PROSPECTA_ROLES splits the product over processes on one database: each
 * process does only its roles, and every one answers /healthz, /readyz and
 * /metrics for its orchestrator.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startFakeTelegram } from "../fakes/telegram-bot-api";
import { createTestDatabase } from "../support/test-database";
import { startProductProcess, telegramProcessEnv, type ProductProcess } from "./product-process";

const TOKEN = "roles-admin-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "prospecta-roles-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const get = async (product: ProductProcess, path: string) => {
  const response = await fetch(`${product.baseUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: response.status, body: (await response.json().catch(() => null)) as any };
};

describe("roles", () => {
  it("an api process and a worker-and-bot process share the work of one product", async () => {
    const telegram = await startFakeTelegram();
    const database = await createTestDatabase(dir, "roles");
    const env = {
      DATABASE_URL: database.url,
      ADMIN_API_TOKEN: TOKEN,
      ...telegramProcessEnv(telegram),
      CAMPAIGN_RUNNER_CRON: "* * * * * *",
    };
    const processes: ProductProcess[] = [];
    try {
      const api = await startProductProcess({ ...env, PROSPECTA_ROLES: "api" });
      processes.push(api);
      const worker = await startProductProcess({ ...env, PROSPECTA_ROLES: "worker, bot" });
      processes.push(worker);

      expect(await get(api, "/readyz")).toEqual({ status: 200, body: { status: "ready", checks: { database: true, migrations: true, jobs: null } } });
      expect(await get(worker, "/readyz")).toEqual({ status: 200, body: { status: "ready", checks: { database: true, migrations: true, jobs: true } } });
      expect((await get(worker, "/api/v1/leads")).status).toBe(404);
      expect((await get(worker, "/docs")).status).toBe(404);
      // The dashboard is served where the API is.
      expect((await get(api, "/admin/entrar")).status).toBe(200);
      expect((await get(worker, "/admin/entrar")).status).toBe(404);
      for (const product of processes) expect((await get(product, "/metrics")).status).toBe(200);
      expect(worker.output()).toMatch(/"roles":\["worker","bot"\].*Prospecta listening/);

      // Only the bot process polls Telegram, and what a lead writes there is seen through the api process.
      telegram.userSays({ id: 52_001, first_name: "Carla" }, "/start");
      await telegram.waitForDelivered(1, 10_000);
      const leads = await get(api, "/api/v1/leads?q=Carla");
      expect(leads.body.items).toEqual([expect.objectContaining({ name: "Carla", telegram_chat_id: 52_001, channels: ["telegram"] })]);
      expect(telegram.terminatedPolls()).toBe(0);
    } finally {
      for (const product of processes) await product.stop();
      await telegram.close();
      await database.drop();
    }
  });

  it("refuses an unknown role, naming the variable", async () => {
    // Refused before the database is opened, so any database will do: a SQLite file path on either run.
    await expect(startProductProcess({ DATABASE_URL: join(dir, "bad.db"), ADMIN_API_TOKEN: TOKEN, PROSPECTA_ROLES: "api,cron" })).rejects.toThrow(/PROSPECTA_ROLES[\s\S]*roles válidos: api, bot, worker, voice/);
  });
});
