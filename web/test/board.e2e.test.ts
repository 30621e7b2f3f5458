/**
 * The Tablero in a real browser: dragging a card to another column, a refused skip and forcing it,
 * the keyboard's "Mover a…", a column loading more as it scrolls, the filters, and the live refresh
 * when a lead moves elsewhere. Selectors by role and label, so they test the labels too.
 */
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN_EMAIL, startDashboardHarness, type DashboardHarness } from "./dashboard-harness";
import { SKIP_BROWSER_TESTS } from "./browser";
import { CARDS_PER_COLUMN } from "../board";

const WAIT = { timeout: 10_000, interval: 100 };

describe.skipIf(SKIP_BROWSER_TESTS)("the Tablero in a browser", () => {
  let harness: DashboardHarness;
  const ids: Record<string, number> = {};

  async function createLead(name: string, fields: Record<string, unknown> = {}): Promise<number> {
    const created = await harness.server.api("POST", "/leads", { name, source: "web", ...fields });
    expect(created.status).toBe(201);
    ids[name] = created.body.id;
    return created.body.id;
  }

  beforeAll(async () => {
    // The live feed polls every 200 ms here, so a move made elsewhere reaches the open board quickly.
    harness = await startDashboardHarness({ env: { DASHBOARD_LIVE_POLL_MS: "200" } });
    for (let i = 0; i < 24; i++) await createLead(`Relleno ${i}`, { source: "relleno" });
    await createLead("Ana López", { location: "Roma Norte", telegram_username: "ana" });
    await createLead("Beto Salto");
    await createLead("Carla Teclado");
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  const column = (page: Page, title: string) => page.getByRole("region", { name: title, exact: true });
  // `has` is matched inside each item: built from the page, not from the column (that would look for a column inside the card).
  const card = (scope: Locator, name: string) => scope.getByRole("listitem").filter({ has: scope.page().getByRole("heading", { level: 3, name, exact: true }) });

  async function stageHistory(id: number) {
    const lead = await harness.server.api("GET", `/leads/${id}`);
    return lead.body.stage_history as { from_stage: string | null; to_stage: string; actor: string; forced: boolean }[];
  }

  it("drags a card from Entrada to Perfilamiento: it shows there, the move is said aloud, and the history names the person", async () => {
    const { page } = await harness.signIn();
    await page.waitForFunction(() => performance.getEntriesByName("tablero-listo").length > 0);
    const perfilamiento = column(page, "Perfilamiento");
    await expect(perfilamiento.locator("#cuenta-perfilamiento").textContent()).resolves.toBe("0 leads");

    await card(column(page, "Entrada"), "Ana López").getByRole("heading").dragTo(perfilamiento);

    await card(perfilamiento, "Ana López").waitFor();
    await expect(card(column(page, "Entrada"), "Ana López").count()).resolves.toBe(0);
    await expect(page.getByRole("status").textContent()).resolves.toBe("Ana López movida a Perfilamiento");
    await expect(perfilamiento.locator("#cuenta-perfilamiento").textContent()).resolves.toBe("1 lead");
    await expect(column(page, "Entrada").locator("#cuenta-entrada").textContent()).resolves.toBe("26 leads");

    const last = (await stageHistory(ids["Ana López"]!)).at(-1);
    expect(last).toMatchObject({ from_stage: "entrada", to_stage: "perfilamiento", actor: `web:${ADMIN_EMAIL}`, forced: false });

    // The lead's own page tells the same story, with the person as actor.
    await card(perfilamiento, "Ana López").getByRole("link", { name: "Ana López" }).click();
    await page.waitForURL((url) => url.pathname === `/admin/leads/${ids["Ana López"]}`);
    const move = page.getByRole("article").filter({ has: page.getByRole("heading", { level: 3, name: "Entrada → Perfilamiento" }) });
    await expect(move.textContent()).resolves.toContain(`web:${ADMIN_EMAIL}`);
    await expect(move.textContent()).resolves.toContain("Movido desde el tablero");
  });

  it("a refused skip (Entrada → Agendado) shows its reason and the card stays; the admin forces it after confirming", async () => {
    const { page } = await harness.signIn();
    await page.waitForFunction(() => performance.getEntriesByName("tablero-listo").length > 0);
    const entrada = column(page, "Entrada");
    const agendado = column(page, "Agendado");

    await card(entrada, "Beto Salto").getByRole("heading").dragTo(agendado);

    const alert = page.getByRole("alert");
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain("El movimiento de Entrada a Agendado salta etapas; la siguiente etapa es Perfilamiento.");
    await expect(card(entrada, "Beto Salto").count()).resolves.toBe(1);
    await expect(card(agendado, "Beto Salto").count()).resolves.toBe(0);

    let question = "";
    page.once("dialog", (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await alert.getByRole("button", { name: "Forzar movimiento" }).click();
    await card(agendado, "Beto Salto").waitFor();
    expect(question).toBe("¿Forzar el movimiento de Beto Salto a Agendado?");
    await expect(card(entrada, "Beto Salto").count()).resolves.toBe(0);
    await expect(page.getByRole("alert").count()).resolves.toBe(0);
    expect((await stageHistory(ids["Beto Salto"]!)).at(-1)).toMatchObject({ to_stage: "agendado", actor: `web:${ADMIN_EMAIL}`, forced: true });
  });

  it("moves a card from the keyboard: focus its Mover a…, choose, Enter on Mover; focus stays on the card", async () => {
    const { page } = await harness.signIn();
    const carla = card(column(page, "Entrada"), "Carla Teclado");
    const select = carla.getByLabel("Mover a…");
    await select.focus();
    await page.keyboard.press("End"); // the last stage listed: Perdido
    await expect(select.inputValue()).resolves.toBe("perdido");
    await page.keyboard.press("Tab");
    await expect(page.evaluate("document.activeElement?.textContent")).resolves.toBe("Mover");
    await page.keyboard.press("Enter");

    const perdido = column(page, "Perdido");
    await card(perdido, "Carla Teclado").waitFor();
    await vi.waitFor(async () => expect(await page.evaluate("document.activeElement?.id")).toBe(`mover-${ids["Carla Teclado"]}`), WAIT);
    expect((await stageHistory(ids["Carla Teclado"]!)).at(-1)).toMatchObject({ to_stage: "perdido", actor: `web:${ADMIN_EMAIL}` });
  });

  it("loads more of a big column as it scrolls into view", async () => {
    const { page } = await harness.signIn();
    const entrada = column(page, "Entrada");
    await expect(entrada.locator("li.tarjeta").count()).resolves.toBe(CARDS_PER_COLUMN);
    await entrada.locator("li.mas").scrollIntoViewIfNeeded();
    await vi.waitFor(async () => expect(await entrada.locator("li.tarjeta").count()).toBe(24), WAIT);
    await expect(entrada.locator("li.mas").count()).resolves.toBe(0);
  });

  it("filters the board as the person types, with the filters in the URL and the counts following them", async () => {
    const { page } = await harness.signIn();
    await page.getByLabel("Buscar").fill("Relleno 1");
    await page.waitForURL((url) => url.searchParams.get("q") === "Relleno 1");
    const entrada = column(page, "Entrada");
    // "Relleno 1" and "Relleno 10" … "Relleno 19".
    await vi.waitFor(async () => expect(await entrada.locator("#cuenta-entrada").textContent()).toBe("11 leads"), WAIT);
    await expect(card(entrada, "Relleno 2").count()).resolves.toBe(0);

    await page.getByLabel("Fuente").selectOption("web");
    await page.waitForURL((url) => url.searchParams.get("fuente") === "web");
    await vi.waitFor(async () => expect(await entrada.locator("#cuenta-entrada").textContent()).toBe("0 leads"), WAIT);
  });

  it("shows a move made elsewhere (the API) and a new lead without reloading, through the live feed", async () => {
    const { page } = await harness.signIn();
    await page.waitForFunction(() => performance.getEntriesByName("tablero-listo").length > 0);
    const id = ids["Relleno 5"]!;
    await harness.server.api("POST", `/pipeline/leads/${id}/move-stage`, { new_stage: "perfilamiento" });
    await createLead("Elena Nueva");
    await card(column(page, "Perfilamiento"), "Relleno 5").waitFor();
    await card(column(page, "Entrada"), "Elena Nueva").waitFor();
    await expect(card(column(page, "Entrada"), "Relleno 5").count()).resolves.toBe(0);
    await expect(column(page, "Perfilamiento").locator("#cuenta-perfilamiento").textContent()).resolves.toBe("2 leads");
  });
});
