/**
 * Campañas in a real browser (issue 14: "create a campaign with a step, activate it, see its stats"):
 * an admin writes a template on Plantillas, creates a campaign that fires on Entrada over Telegram,
 * adds a send_message step with no delay, activates it, and sees the step that reached the lead
 * (a Telegram user who wrote /start to the bot) in the figures, the table per day and a drawn chart.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FakeUser } from "../../test/fakes/telegram-bot-api";
import { SKIP_BROWSER_TESTS } from "./browser";
import { startDashboardHarness, type DashboardHarness } from "./dashboard-harness";

const ANA: FakeUser = { id: 80_101, first_name: "Ana", last_name: "López" };
const WELCOME = "Hola Ana, bienvenida a la agencia. ¿Qué buscas?";

describe.skipIf(SKIP_BROWSER_TESTS)("campaigns in the dashboard, in a browser", () => {
  let harness: DashboardHarness;

  beforeAll(async () => {
    harness = await startDashboardHarness({ telegram: true });
    // A lead in entrada with a Telegram chat: the bot creates it when the person writes /start.
    harness.telegram!.userSays(ANA, "/start");
    await vi.waitFor(async () => {
      const rows = await harness.server.sql("SELECT pipeline_stage FROM leads WHERE telegram_chat_id = ?", ANA.id);
      expect(rows).toEqual([{ pipeline_stage: "entrada" }]);
    }, { timeout: 10_000 });
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("creates a campaign with a step, activates it and shows its stats", async () => {
    const { page } = await harness.signIn();
    // A step that cannot happen fails naming itself, well before the test's own timeout.
    page.setDefaultTimeout(10_000);

    // The template, written on Plantillas.
    await page.getByRole("link", { name: "Plantillas" }).click();
    await page.getByRole("link", { name: "Nueva plantilla" }).click();
    await page.getByLabel("Nombre").fill("Bienvenida");
    await page.getByLabel("Canal").selectOption({ label: "Telegram" });
    await page.getByLabel("Contenido").fill("Hola {{first_name}}, bienvenida a la agencia. ¿Qué buscas?");
    await Promise.all([page.waitForURL(/\/admin\/plantillas\/\d+$/), page.getByRole("button", { name: "Guardar" }).click()]);
    await page.getByRole("heading", { level: 1, name: "Bienvenida" }).waitFor();

    // The campaign: stage_change on Entrada, Telegram.
    await page.getByRole("link", { name: "Campañas" }).click();
    await page.getByRole("link", { name: "Nueva campaña" }).click();
    await page.getByLabel("Nombre").fill("Bienvenida a leads nuevos");
    await page.getByLabel("Canal").selectOption({ label: "Telegram" });
    await page.getByLabel("Disparador").selectOption({ label: "Al entrar a una etapa" });
    await page.getByLabel("Etapa", { exact: true }).selectOption({ label: "Entrada" });
    await Promise.all([page.waitForURL(/\/admin\/campanas\/\d+$/), page.getByRole("button", { name: "Guardar" }).click()]);
    await page.getByRole("heading", { level: 1, name: "Bienvenida a leads nuevos" }).waitFor();
    await expect(page.getByText("Al entrar a Entrada").count()).resolves.toBe(1);

    // Its step: send the template at once.
    await page.getByLabel("Acción").selectOption({ label: "Enviar mensaje" });
    await page.getByLabel("Plantilla (para Enviar mensaje)").selectOption({ label: "Bienvenida" });
    await page.getByLabel("Espera (horas)").fill("0");
    // The page loads again with the step (the table appears then).
    await page.getByRole("button", { name: "Agregar paso" }).click();
    const steps = page.getByRole("table", { name: "Pasos de la campaña, en orden" });
    await expect(steps.getByRole("row").nth(1).textContent()).resolves.toMatch(/1\s*Enviar mensaje\s*Plantilla «Bienvenida»\s*0 h/);

    // Activar: the lead already in Entrada enrolls and its step runs.
    await page.getByRole("button", { name: "Activar" }).click();
    await page.getByRole("button", { name: "Pausar" }).waitFor();
    await expect(page.getByText("Activa", { exact: true }).count()).resolves.toBe(1);
    await vi.waitFor(() => expect(harness.telegram!.delivered(ANA.id).map((m) => m.text)).toContain(WELCOME), { timeout: 10_000 });
    await harness.server.prospecta.campaignEngine.idle();

    await page.reload();
    const figures = page.getByRole("region", { name: "Estadísticas" });
    const executed = Number(await figures.locator("dt:text-is('Pasos ejecutados') + dd").textContent());
    expect(executed).toBeGreaterThanOrEqual(1);
    const perStep = page.getByRole("table", { name: "Resultados por paso" });
    await expect(perStep.getByRole("row").nth(1).getByRole("cell").first().textContent()).resolves.toBe("Enviar mensaje");
    expect(Number(await perStep.getByRole("row").nth(1).getByRole("cell").nth(1).textContent())).toBeGreaterThanOrEqual(1);

    // The table per day says the same as the chart: today's row (the last) has the step.
    await page.getByText("Ver las cifras por día").click();
    const perDay = page.getByRole("table", { name: /Pasos ejecutados por día/ });
    const today = perDay.getByRole("row").last();
    await expect(today.getByRole("rowheader").textContent()).resolves.toBe("15 ene");
    expect(Number(await today.getByRole("cell").first().textContent())).toBeGreaterThanOrEqual(1);

    // chart.js drew the canvas (no inline script: charts.js read the JSON next to it).
    // A string, run in the page (this project's TypeScript has no DOM types).
    const chart = (await page.evaluate(`(() => {
      const canvas = document.querySelector("canvas[data-chart]");
      const drawn = canvas && window.Chart ? window.Chart.getChart(canvas) : undefined;
      return { width: canvas ? canvas.width : 0, today: drawn ? drawn.data.datasets[0].data.at(-1) : null };
    })()`)) as { width: number; today: number | null };
    expect(chart.width).toBeGreaterThan(0);
    expect(chart.today).toBeGreaterThanOrEqual(1);

    // The logs name the lead and the step's outcome.
    const logs = page.getByRole("region", { name: "Registro por lead" });
    const logRows = logs.getByRole("table").getByRole("row");
    await expect(logRows.count()).resolves.toBe(2);
    await expect(logRows.nth(1).getByRole("link", { name: "Ana López", exact: true }).count()).resolves.toBe(1);
    await expect(logRows.nth(1).textContent()).resolves.toMatch(/1 · Enviar mensaje\s*Con éxito/);
  }, 60_000);
});
