/**
 * What every browser test of the dashboard starts from: the product (optionally with its bot polling
 * a fake Telegram), Debian's chromium, and a way to sign in through the real form.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startFakeTelegram, type FakeTelegram } from "../../test/fakes/telegram-bot-api";
import { startTestServer, telegramEnv, type TestServer } from "../../test/integration/test-server";
import { launchBrowser } from "./browser";

export const ADMIN_EMAIL = "direccion@agencia.mx";
export const ADMIN_PASSWORD = "una-clave-de-arranque";

/** `bypassCSP`: lets a test inject a checker (axe) into pages whose CSP allows only this site's scripts. */
export interface ContextOptions {
  bypassCSP?: boolean;
}

export interface DashboardHarness {
  server: TestServer;
  browser: Browser;
  /** Present when started with `telegram: true`; the bot polls it. */
  telegram: FakeTelegram | null;
  /** A fresh browser context (its own cookies), signed in through the form, on the Tablero. */
  signIn(credentials?: { email: string; password: string }, options?: ContextOptions): Promise<{ context: BrowserContext; page: Page }>;
  /** A fresh browser context with no session. */
  visitor(options?: ContextOptions): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function startDashboardHarness(options: { telegram?: boolean; env?: Record<string, string> } = {}): Promise<DashboardHarness> {
  const telegram = options.telegram ? await startFakeTelegram() : null;
  const [server, browser] = await Promise.all([
    startTestServer({
      env: {
        DASHBOARD_ADMIN_EMAIL: ADMIN_EMAIL,
        DASHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
        ...(telegram && telegramEnv(telegram)),
        ...options.env,
      },
    }),
    launchBrowser(),
  ]);
  if (telegram) await server.prospecta.startBot();
  const contexts: BrowserContext[] = [];

  async function visitor(options: ContextOptions = {}) {
    const context = await browser.newContext({ baseURL: server.baseUrl, locale: "es-MX", ...options });
    contexts.push(context);
    return { context, page: await context.newPage() };
  }

  return {
    server,
    browser,
    telegram,
    visitor,
    async signIn(credentials = { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, options = {}) {
      const { context, page } = await visitor(options);
      await page.goto("/admin/entrar");
      await page.getByLabel("Correo").fill(credentials.email);
      await page.getByLabel("Contraseña").fill(credentials.password);
      await Promise.all([page.waitForURL((url) => url.pathname === "/admin/tablero"), page.getByRole("button", { name: "Entrar" }).click()]);
      return { context, page };
    },
    async close() {
      await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
      await browser?.close();
      await server?.close();
      await telegram?.close();
    },
  };
}
