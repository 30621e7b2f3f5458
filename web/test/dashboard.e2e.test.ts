/**
 * The dashboard in a real browser: the product started as in the integration tests, Debian's
 * chromium through playwright-core, selectors by label and role (so they test the labels too).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext } from "playwright-core";
import { startTestServer, type TestServer } from "../../test/integration/test-server";
import { launchBrowser, SKIP_BROWSER_TESTS } from "./browser";

const EMAIL = "direccion@agencia.mx";
const PASSWORD = "una-clave-de-arranque";
const STAGE_TITLES = ["Entrada", "Perfilamiento", "Calificación financiera", "Agendado", "Seguimiento", "Ganado", "Perdido"];

describe.skipIf(SKIP_BROWSER_TESTS)("the dashboard in a browser", () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer({ env: { DASHBOARD_ADMIN_EMAIL: EMAIL, DASHBOARD_ADMIN_PASSWORD: PASSWORD } }),
      launchBrowser(),
    ]);
    await server.api("POST", "/leads", { name: "Ana López", source: "facebook", location: "Roma Norte" });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  async function openSignIn() {
    await context?.close();
    context = await browser.newContext({ baseURL: server.baseUrl, locale: "es-MX" });
    const page = await context.newPage();
    await page.goto("/admin");
    return page;
  }

  it("a wrong password shows the message and keeps the visitor on the form", async () => {
    const page = await openSignIn();
    expect(new URL(page.url()).pathname).toBe("/admin/entrar");
    await page.getByLabel("Correo").fill(EMAIL);
    await page.getByLabel("Contraseña").fill("no-es-la-clave");
    const [response] = await Promise.all([page.waitForResponse("**/admin/entrar"), page.getByRole("button", { name: "Entrar" }).click()]);
    expect(response.status()).toBe(401);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Correo o contraseña incorrectos.");
    expect(await context!.cookies()).toEqual([]);
  });

  it("signing in through the form lands on the Tablero with its seven columns", async () => {
    const page = await openSignIn();
    await page.getByLabel("Correo").fill(EMAIL);
    await page.getByLabel("Contraseña").fill(PASSWORD);
    await Promise.all([page.waitForURL((url) => url.pathname === "/admin"), page.getByRole("button", { name: "Entrar" }).click()]);
    await page.getByRole("heading", { level: 1, name: "Tablero" }).waitFor();
    const headings = await page.getByRole("heading", { level: 2 }).allTextContents();
    expect(headings).toEqual(STAGE_TITLES);
    const entrada = page.getByRole("region", { name: "Entrada" });
    await expect(entrada.getByRole("heading", { level: 3, name: "Ana López" }).count()).resolves.toBe(1);
    await expect(entrada.textContent()).resolves.toContain("1 lead");
    const [cookie] = await context!.cookies();
    expect(cookie).toMatchObject({ name: "prospecta_sesion", httpOnly: true, sameSite: "Lax", path: "/admin" });
  });
});
