/**
 * Signing in to the dashboard in a real browser: the product started as in the integration tests,
 * Debian's chromium through playwright-core, selectors by label and role (so they test the labels too).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_EMAIL, startDashboardHarness, type DashboardHarness } from "./dashboard-harness";
import { SKIP_BROWSER_TESTS } from "./browser";

const STAGE_TITLES = ["Entrada", "Perfilamiento", "Calificación financiera", "Agendado", "Seguimiento", "Ganado", "Perdido"];
const PAGES = ["/admin/tablero", "/admin/leads/1", "/admin/conversaciones", "/admin/campanas", "/admin/plantillas", "/admin/metricas", "/admin/usuarios"];

describe.skipIf(SKIP_BROWSER_TESTS)("signing in to the dashboard in a browser", () => {
  let harness: DashboardHarness;

  beforeAll(async () => {
    harness = await startDashboardHarness();
    await harness.server.api("POST", "/leads", { name: "Ana López", source: "facebook", location: "Roma Norte" });
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("a wrong password shows the message and keeps the visitor on the form", async () => {
    const { context, page } = await harness.visitor();
    await page.goto("/admin");
    expect(new URL(page.url()).pathname).toBe("/admin/entrar");
    await page.getByLabel("Correo").fill(ADMIN_EMAIL);
    await page.getByLabel("Contraseña").fill("no-es-la-clave");
    const [response] = await Promise.all([page.waitForResponse("**/admin/entrar"), page.getByRole("button", { name: "Entrar" }).click()]);
    expect(response.status()).toBe(401);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Correo o contraseña incorrectos.");
    expect(await context.cookies()).toEqual([]);
  });

  it("signing in through the form lands on the Tablero with its seven columns", async () => {
    const { context, page } = await harness.signIn();
    await page.getByRole("heading", { level: 1, name: "Tablero" }).waitFor();
    const headings = await page.getByRole("heading", { level: 2 }).allTextContents();
    expect(headings).toEqual(STAGE_TITLES);
    const entrada = page.getByRole("region", { name: "Entrada" });
    await expect(entrada.getByRole("heading", { level: 3, name: "Ana López" }).count()).resolves.toBe(1);
    await expect(entrada.textContent()).resolves.toContain("1 lead");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "prospecta_sesion", httpOnly: true, sameSite: "Lax", path: "/admin" });
  });

  it("every page needs a session: a visitor ends on the sign-in form, and a script gets 401", async () => {
    const { page } = await harness.visitor();
    for (const path of PAGES) {
      await page.goto(path);
      expect(new URL(page.url()).pathname, path).toBe("/admin/entrar");
    }
    expect((await page.request.get("/admin/api/metricas")).status()).toBe(401);
  });

  it("signing in from a page the visitor asked for goes back to it", async () => {
    const { page } = await harness.visitor();
    await page.goto("/admin/metricas");
    await page.getByLabel("Correo").fill(ADMIN_EMAIL);
    await page.getByLabel("Contraseña").fill("una-clave-de-arranque");
    await Promise.all([page.waitForURL((url) => url.pathname !== "/admin/entrar"), page.getByRole("button", { name: "Entrar" }).click()]);
    expect(new URL(page.url()).pathname).toBe("/admin/metricas");
  });
});
