/**
 * Every dashboard page checked with axe-core (WCAG 2.x A and AA rules: labels, names, contrast,
 * landmarks, ARIA) in the real browser, with data on each page so its tables, forms and timeline
 * are there to be checked. Pages are read as they render; axe is injected past the page's CSP.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { SKIP_BROWSER_TESTS } from "./browser";
import { startDashboardHarness, type DashboardHarness } from "./dashboard-harness";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe's WCAG 2 A/AA violations on the page as it is now (the page runs this as text: tests have no DOM types). */
async function violationsOn(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) })))`);
}

describe.skipIf(SKIP_BROWSER_TESTS)("the dashboard's pages pass axe's WCAG 2 A and AA rules", () => {
  let harness: DashboardHarness;
  let leadId: number;
  let campaignId: number;

  beforeAll(async () => {
    harness = await startDashboardHarness();
    const { server } = harness;
    leadId = (await server.api("POST", "/leads", { name: "Ana López", source: "facebook", location: "Roma Norte", budget_max: 3_000_000, phone: "+5215512345678" })).body.id;
    await server.api("POST", `/pipeline/leads/${leadId}/move-stage`, { new_stage: "perfilamiento", reason: "Respondió" });
    const template = (await server.api("POST", "/templates", { name: "Bienvenida", channel: "telegram", content: "Hola {{first_name}}, ¿qué buscas?" })).body;
    campaignId = (await server.api("POST", "/campaigns", { name: "Bienvenida", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } })).body.id;
    await server.api("POST", `/campaigns/${campaignId}/steps`, { step_number: 1, action: "send_message", message_template_id: template.id, delay_hours: 0 });
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("the sign-in page", async () => {
    const { page } = await harness.visitor({ bypassCSP: true });
    await page.goto("/admin/entrar");
    expect(await violationsOn(page)).toEqual([]);
  });

  it("every page a signed-in admin opens", async () => {
    const { page } = await harness.signIn(undefined, { bypassCSP: true });
    const paths = [
      "/admin/tablero",
      `/admin/leads/${leadId}`,
      "/admin/conversaciones",
      `/admin/conversaciones/${leadId}`,
      "/admin/campanas",
      "/admin/campanas/nueva",
      `/admin/campanas/${campaignId}`,
      "/admin/plantillas",
      "/admin/metricas",
      "/admin/usuarios",
    ];
    const found: Record<string, Violation[]> = {};
    for (const path of paths) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(200);
      const violations = await violationsOn(page);
      if (violations.length) found[path] = violations;
    }
    expect(found).toEqual({});
  }, 60_000);
});
