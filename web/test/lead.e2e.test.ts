/**
 * The Lead page, Métricas and Usuarios in a real browser: a lead's timeline with a call's transcript
 * opened on demand and "Ver más"; the charts drawn under the CSP with their tables; an admin creating
 * an asesor, who then signs in and has no Usuarios in the navigation.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SKIP_BROWSER_TESTS } from "./browser";
import { startDashboardHarness, type DashboardHarness } from "./dashboard-harness";

/** Errors the page reported (a script refused by the CSP, a failed request): none expected. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

describe.skipIf(SKIP_BROWSER_TESTS)("the Lead page, Métricas and Usuarios in a browser", () => {
  let harness: DashboardHarness;
  let leadId: number;

  beforeAll(async () => {
    harness = await startDashboardHarness();
    const { server } = harness;
    const lead = await server.api("POST", "/leads", { name: "Ana López", phone: "+525512345678", source: "facebook", location: "Roma Norte" });
    leadId = lead.body.id;
    // 60 messages on two channels: more than one page of the timeline.
    for (let i = 0; i < 30; i++) {
      server.clock.advance(1000);
      await server.sql("INSERT INTO messages (lead_id, direction, channel, text, at) VALUES (?, 'inbound', 'telegram', ?, ?)", leadId, `Pregunta ${i}`, server.clock.now());
      await server.sql("INSERT INTO messages (lead_id, direction, channel, text, at) VALUES (?, 'outbound', 'whatsapp', ?, ?)", leadId, `Respuesta ${i}`, server.clock.now());
    }
    server.clock.advance(1000);
    await server.api("POST", `/pipeline/leads/${leadId}/move-stage`, { new_stage: "perfilamiento", reason: "Respondió" });
    server.clock.advance(1000);
    const now = server.clock.now();
    const [call] = await server.sql<{ id: number }>(
      "INSERT INTO voice_calls (lead_id, agent_type, direction, status, duration_seconds, summary, created_at, updated_at) VALUES (?, 'perfilador', 'outbound', 'completed', 95, 'Busca depa de 2 recámaras.', ?, ?) RETURNING id",
      leadId,
      now,
      now,
    );
    await server.sql("INSERT INTO call_transcripts (call_id, speaker, text, at) VALUES (?, 'agent', 'Hola Ana, te llamo de la agencia.', ?)", call!.id, now);
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("opens a lead from its URL: profile, score, timeline, a call's transcript on demand, and Ver más", async () => {
    const { page } = await harness.signIn();
    const errors = watchErrors(page);
    await page.goto(`/admin/leads/${leadId}`);
    await page.getByRole("heading", { level: 1, name: "Ana López" }).waitFor();
    await expect(page.getByRole("table", { name: "Cómo se calcula el puntaje" }).isVisible()).resolves.toBe(true);

    const history = page.getByRole("region", { name: "Historial" });
    const entries = history.locator("li.entrada-historial");
    await expect(entries.count()).resolves.toBe(50);
    await expect(entries.first().textContent()).resolves.toContain("Llamada saliente");
    await expect(history.getByText("Entrada → Perfilamiento").count()).resolves.toBe(1);
    await expect(history.getByText("Mensaje enviado por WhatsApp").first().isVisible()).resolves.toBe(true);

    // The transcript is fetched only when its details open.
    const transcript = entries.first().locator("details");
    await expect(transcript.textContent()).resolves.not.toContain("te llamo de la agencia");
    await transcript.locator("summary").click();
    await transcript.getByText("Hola Ana, te llamo de la agencia.").waitFor();

    const more = history.getByRole("button", { name: "Ver más" });
    await more.focus();
    await page.keyboard.press("Enter");
    // 60 messages, the call, the move and the entry into entrada: 63 in all, once each.
    await expect.poll(() => entries.count()).toBe(63);
    await expect(history.getByRole("button", { name: "Ver más" }).count()).resolves.toBe(0);
    const ids = await entries.evaluateAll((items) => items.map((item) => item.id));
    expect(new Set(ids).size).toBe(63);
    await expect(entries.last().textContent()).resolves.toContain("Entró en Entrada");
    expect(errors).toEqual([]);
  });

  it("Métricas draws its charts under the CSP, next to tables of the same figures", async () => {
    const { page } = await harness.signIn();
    const errors = watchErrors(page);
    await page.goto("/admin/metricas");
    await page.getByRole("heading", { level: 1, name: "Métricas" }).waitFor();
    // chart.js has drawn on the canvas: some pixel is no longer transparent.
    // (Runs in the page; this project's types have no DOM, hence `any`.)
    const drawn = await page.waitForFunction(() => {
      const browser = globalThis as any;
      const canvas = browser.document.querySelector('canvas[data-chart="grafica-embudo"]');
      const chart = canvas && browser.Chart?.getChart(canvas);
      if (!canvas || !chart || canvas.width === 0) return false;
      const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
      return false;
    });
    expect(await drawn.jsonValue()).toBe(true);
    const funnel = page.getByRole("table", { name: "Embudo: leads que llegaron a cada etapa" });
    await expect(funnel.getByRole("row").nth(1).textContent()).resolves.toMatch(/Entrada\s*1/);
    await expect(funnel.getByRole("row").nth(2).textContent()).resolves.toMatch(/Perfilamiento\s*1/);
    await expect(page.getByRole("table", { name: /Leads en cada etapa/ }).isVisible()).resolves.toBe(true);
    await expect(page.locator('canvas[data-chart="grafica-llamadas"]').getAttribute("aria-label")).resolves.toContain("1 llamada en los últimos 30 días.");
    expect(errors).toEqual([]);
  });

  it("an admin creates an asesor in Usuarios; signed in, the asesor has no Usuarios in the navigation", async () => {
    const { page } = await harness.signIn();
    await page.goto("/admin/usuarios");
    await page.getByLabel("Correo", { exact: true }).fill("julia@agencia.mx");
    await page.getByLabel("Nombre", { exact: true }).fill("Julia Ruiz");
    await page.getByLabel("Rol", { exact: true }).selectOption("asesor");
    await page.getByLabel("Contraseña inicial").fill("clave-de-julia-2026");
    await Promise.all([page.waitForURL(/\/admin\/usuarios\?creado=\d+$/), page.getByRole("button", { name: "Crear usuario" }).click()]);
    await expect(page.getByRole("status").textContent()).resolves.toContain("Se creó la cuenta de julia@agencia.mx.");
    await expect(page.getByRole("row", { name: /julia@agencia\.mx/ }).textContent()).resolves.toContain("Asesor");

    const asesor = await harness.signIn({ email: "julia@agencia.mx", password: "clave-de-julia-2026" });
    const nav = asesor.page.getByRole("navigation", { name: "Principal" });
    await expect(nav.getByRole("link", { name: "Métricas" }).count()).resolves.toBe(1);
    await expect(nav.getByRole("link", { name: "Usuarios" }).count()).resolves.toBe(0);
    const refused = await asesor.page.goto("/admin/usuarios");
    expect(refused?.status()).toBe(403);
    await expect(asesor.page.getByRole("alert").textContent()).resolves.toContain("Solo un administrador puede hacer esto.");
  });
});
