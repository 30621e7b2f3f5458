/**
 * Conversaciones in a real browser: a person takes a lead's Telegram chat over from the bot, writes
 * to the lead, hands the chat back, and sees the lead's next message and the bot's answer arrive in
 * the open page without reloading it (the live feed, polled every 200 ms here).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FakeUser } from "../../test/fakes/telegram-bot-api";
import { SKIP_BROWSER_TESTS } from "./browser";
import { ADMIN_EMAIL, startDashboardHarness, type DashboardHarness } from "./dashboard-harness";

const ana: FakeUser = { id: 880_001, first_name: "Ana", last_name: "López" };

describe.skipIf(SKIP_BROWSER_TESTS)("Conversaciones in a browser", () => {
  let harness: DashboardHarness;

  beforeAll(async () => {
    harness = await startDashboardHarness({ telegram: true, env: { DASHBOARD_LIVE_POLL_MS: "200" } });
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("takes Ana's chat over, writes to her on Telegram, gives it back, and the bot's next answer shows without a reload", async () => {
    const telegram = harness.telegram!;
    telegram.userSays(ana, "/start");
    await vi.waitFor(() => expect(telegram.delivered(ana.id)).toHaveLength(1), { timeout: 10_000 });

    const { page } = await harness.signIn();
    await page.getByRole("navigation", { name: "Principal" }).getByRole("link", { name: "Conversaciones" }).click();
    await page.getByRole("heading", { level: 1, name: "Conversaciones" }).waitFor();
    const withBot = page.getByRole("region", { name: /Con el bot/ });
    await withBot.getByRole("link", { name: "Ana López" }).click();
    await page.getByRole("heading", { level: 1, name: "Conversación con Ana López" }).waitFor();
    const thread = page.getByRole("list", { name: "Mensajes" });
    await expect(thread.textContent()).resolves.toContain("/start");

    await page.getByRole("button", { name: "Tomar conversación" }).click();
    const box = page.getByLabel("Escribe un mensaje");
    await box.waitFor();
    const lead = (await harness.server.sql("SELECT id, handoff_at FROM leads WHERE telegram_chat_id = ?", ana.id))[0];
    expect(lead.handoff_at).not.toBeNull();

    const text = "Hola Ana, soy de la agencia. ¿Te llamo hoy por la tarde?";
    await box.fill(text);
    await page.getByRole("button", { name: "Enviar" }).click();
    await vi.waitFor(() => expect(telegram.delivered(ana.id).at(-1)?.text).toBe(text), { timeout: 10_000 });
    await thread.getByText(text).waitFor();
    await expect(thread.textContent()).resolves.toContain(`${ADMIN_EMAIL} (asesor)`);

    // From here on the page must not reload: whatever shows up came through the live feed.
    await page.evaluate("window.sinRecargar = true");
    await page.getByRole("button", { name: "Devolver al bot" }).click();
    await page.getByRole("button", { name: "Tomar conversación" }).waitFor();
    expect((await harness.server.sql("SELECT handoff_at FROM leads WHERE id = ?", lead.id))[0].handoff_at).toBeNull();

    const before = telegram.delivered(ana.id).length;
    telegram.userSays(ana, "busco depa en Roma");
    await vi.waitFor(() => expect(telegram.delivered(ana.id).length).toBeGreaterThan(before), { timeout: 10_000 });
    const reply = telegram.delivered(ana.id).at(-1)!.text;
    expect(reply).not.toBe(text);
    await thread.getByText("busco depa en Roma").waitFor({ timeout: 10_000 });
    const firstLine = reply.split("\n")[0]!;
    await vi.waitFor(async () => expect(await thread.textContent()).toContain(firstLine), { timeout: 10_000 });
    expect(await page.evaluate("window.sinRecargar === true")).toBe(true);
  });

  it("the list shows a new chat with the bot as it starts, without a reload", async () => {
    const { page } = await harness.signIn();
    await page.goto("/admin/conversaciones");
    await page.evaluate("window.sinRecargar = true");
    const withBot = page.getByRole("region", { name: /Con el bot/ });
    expect(await withBot.getByRole("link", { name: "Beto Ruiz" }).count()).toBe(0);
    harness.telegram!.userSays({ id: 880_002, first_name: "Beto", last_name: "Ruiz" }, "/start");
    await withBot.getByRole("link", { name: "Beto Ruiz" }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate("window.sinRecargar === true")).toBe(true);
  });
});
