/** Two product processes on one database file, both running campaign passes every second: each message goes out once, and a busy database is waited out, never an error. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { startFakeTelegram } from "../fakes/telegram-bot-api";
import { startProductProcess, type ProductProcess } from "./product-process";

const TOKEN = "two-processes-admin-token-01";
const dir = mkdtempSync(join(tmpdir(), "prospecta-two-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("two processes, one database", () => {
  it("send every campaign message exactly once", async () => {
    const telegram = await startFakeTelegram();
    const env = {
      DATABASE_URL: join(dir, "shared.db"),
      ADMIN_API_TOKEN: TOKEN,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_MAX_PER_SECOND: "0",
      QUIET_HOURS: "",
      CAMPAIGN_CRON: "* * * * * *",
      CAMPAIGN_RUNNER_CRON: "* * * * * *",
    };
    const processes: ProductProcess[] = [];
    try {
      processes.push(await startProductProcess(env));
      processes.push(await startProductProcess(env));
      const [a, b] = processes as [ProductProcess, ProductProcess];
      const api = (base: string, method: string, path: string, body?: unknown) =>
        fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      // 60 leads, written half through each process, then the welcome campaign is activated.
      for (let i = 0; i < 60; i++) {
        const response = await api(i % 2 ? a.baseUrl : b.baseUrl, "POST", "/leads", { name: `Lead ${i}`, telegram_chat_id: 30_000 + i });
        expect(response.status).toBe(201);
      }
      expect((await api(a.baseUrl, "PUT", "/campaigns/1", { status: "active" })).status).toBe(200);
      await telegram.waitForDelivered(60, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 2500)); // more passes of both processes
      const perChat = new Map<number, number>();
      for (const message of telegram.delivered()) perChat.set(message.chat_id, (perChat.get(message.chat_id) ?? 0) + 1);
      expect(perChat.size).toBe(60);
      expect([...perChat.values()].every((n) => n === 1)).toBe(true);
      const db = new Database(env.DATABASE_URL, { readonly: true });
      expect((db.prepare("SELECT COUNT(*) AS n FROM campaign_logs WHERE step_number = 1 AND status = 'success'").get() as { n: number }).n).toBe(60);
      expect((db.prepare("SELECT COUNT(*) AS n FROM campaign_logs WHERE status = 'failed'").get() as { n: number }).n).toBe(0);
      db.close();
    } finally {
      for (const product of processes) await product.stop();
      await telegram.close();
    }
  });
});
