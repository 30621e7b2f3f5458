/**
 * The dashboard's live feed (GET /admin/eventos) across two instances of the product on one
 * database: what one instance writes reaches a page connected to the other, as ids only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signInToDashboard, type DashboardSession } from "./dashboard-session";
import { readEventStream } from "../support/event-stream";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { startTestServer, type TestServer } from "./test-server";

const EMAIL = "direccion@agencia.mx";
const PASSWORD = "una-clave-de-arranque";

const dir = mkdtempSync(join(tmpdir(), "prospecta-live-"));
let database: TestDatabase;
let writer: TestServer;
let watcher: TestServer;
let session: DashboardSession;

beforeAll(async () => {
  database = await createTestDatabase(dir, "live");
  const env = {
    DATABASE_URL: database.url,
    DASHBOARD_ADMIN_EMAIL: EMAIL,
    DASHBOARD_ADMIN_PASSWORD: PASSWORD,
    PROSPECTA_ROLES: "api",
    DASHBOARD_LIVE_POLL_MS: "100",
  };
  writer = await startTestServer({ env });
  watcher = await startTestServer({ env });
  session = await signInToDashboard(watcher.baseUrl, EMAIL, PASSWORD);
}, 60_000);

afterAll(async () => {
  await writer?.close();
  await watcher?.close();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function openStream(server: TestServer, cookie?: string): Promise<Response> {
  return fetch(`${server.baseUrl}/admin/eventos`, { headers: cookie ? { cookie, accept: "text/event-stream" } : {} });
}

describe("the dashboard's live feed", () => {
  it("needs a session: without one the stream answers 401 and tells htmx where to sign in", async () => {
    const response = await openStream(watcher);
    expect(response.status).toBe(401);
    expect(response.headers.get("hx-redirect")).toBe("/admin/entrar");
    expect(await response.json()).toMatchObject({ error: "unauthorized" });
  });

  it("shows a page on one instance a lead created, moved and handed off through another, and its messages, by id only", async () => {
    const response = await openStream(watcher, session.cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const stream = readEventStream(response);
    try {
      await vi.waitFor(() => expect(stream.text()).toContain("retry: 3000\n\n"));
      expect(watcher.prospecta.live.listening()).toBe(1);

      const created = await writer.api("POST", "/leads", { name: "Ana López", telegram_chat_id: 4242 });
      expect(created.status).toBe(201);
      const leadId: number = created.body.id;
      const moved = await writer.api("POST", `/pipeline/leads/${leadId}/move-stage`, { new_stage: "perfilamiento" });
      expect(moved.status).toBe(200);
      await writer.prospecta.conversation.handOffLead(leadId, "web:asesora@agencia.mx");
      const message = await writer.prospecta.conversation.storeReply(
        await writer.prospecta.services.leads.requireLead(leadId),
        "Hola Ana",
        "asesor",
        "telegram",
      );

      const seen = { created: false, moved: false, handoff: false };
      while (!(seen.created && seen.moved && seen.handoff)) {
        const event = await stream.next((e) => e.event === "leads");
        const data = JSON.parse(event.data);
        expect(Object.keys(data).sort()).toEqual(["created", "handoff", "moved"]);
        if (data.created.includes(leadId)) seen.created = true;
        if (data.moved.some((m: unknown) => JSON.stringify(m) === JSON.stringify({ lead_id: leadId, from: "entrada", to: "perfilamiento", actor: "api:admin" }))) {
          seen.moved = true;
        }
        if (data.handoff.some((h: { lead_id: number; on: boolean }) => h.lead_id === leadId && h.on)) seen.handoff = true;
      }
      const messages = await stream.next((e) => e.event === "messages");
      expect(JSON.parse(messages.data)).toEqual({ items: [{ lead_id: leadId, id: message.id, direction: "outbound" }] });
      // Ids only: nothing a lead wrote or is called travels on the stream.
      expect(stream.text()).not.toContain("Ana");
      expect(stream.text()).not.toContain("Hola");
    } finally {
      await stream.cancel();
    }
    // Nobody listens any more: the instance stops polling.
    await vi.waitFor(() => expect(watcher.prospecta.live.listening()).toBe(0));
  });

  it("ends open streams cleanly when the server closes, instead of leaving them to be cut", async () => {
    const own = await startTestServer({ env: { DATABASE_URL: database.url, PROSPECTA_ROLES: "api", DASHBOARD_LIVE_POLL_MS: "100" } });
    const mine = await signInToDashboard(own.baseUrl, EMAIL, PASSWORD);
    const stream = readEventStream(await openStream(own, mine.cookie));
    await vi.waitFor(() => expect(stream.text()).toContain("retry: 3000"));
    await own.close();
    expect(await stream.ended()).toBe(true);
  });
});
