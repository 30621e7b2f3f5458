/**
 * A message whose delivery is unknown is never sent twice. Against the fake
 * Bot API over real HTTP: a send Telegram took but never answered (the
 * connection cut) is flagged for review and not retried; a connection that
 * was refused is retried until Telegram is back; 429 and 5xx go through one
 * retry layer, bounded by CAMPAIGN_MAX_ATTEMPTS; and the bot and the
 * campaigns send through one Api, one throttler.
 */
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/logger";
import { startFakeTelegram, TELEGRAM_ERRORS, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startTestServer, telegramEnv, type TestServer } from "./test-server";

let telegram: FakeTelegram;
let server: TestServer | undefined;

beforeEach(async () => {
  telegram = await startFakeTelegram();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await telegram.close();
});

async function start(options: { env?: Record<string, string>; retryBaseMs?: number; logLines?: string[]; seedSamples?: boolean } = {}) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      options.logLines?.push(String(chunk));
      done();
    },
  });
  server = await startTestServer({
    seedSamples: options.seedSamples ?? false,
    env: { ...telegramEnv(telegram), ...options.env },
    ...(options.retryBaseMs !== undefined && { retryBaseMs: options.retryBaseMs }),
    ...(options.logLines && { logger: createLogger("warn", sink) }),
  });
  return server;
}

/** A campaign on entering `entrada` that sends each text in turn, with no delay between them. */
async function messagesCampaign(texts: string[]): Promise<number> {
  const s = server!;
  const campaign = (await s.api("POST", "/campaigns", { name: "Bienvenida", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } })).body;
  for (const [index, content] of texts.entries()) {
    const template = (await s.api("POST", "/templates", { name: `Mensaje ${index + 1}`, channel: "telegram", content })).body;
    await s.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: index + 1, action: "send_message", message_template_id: template.id, delay_hours: 0 });
  }
  expect((await s.api("PUT", `/campaigns/${campaign.id}`, { status: "active" })).status).toBe(200);
  return campaign.id as number;
}

async function createLead(chatId: number, name = "Ana López") {
  const response = await server!.api("POST", "/leads", { name, telegram_chat_id: chatId });
  expect(response.status).toBe(201);
  return response.body as { id: number };
}

const sendsTo = (chatId: number) => telegram.calls.filter((c) => c.method === "sendMessage" && Number(c.body.chat_id) === chatId);

describe("a message whose delivery is unknown", () => {
  it("reached Telegram but the answer was cut: the lead gets it once, the step is flagged for review with the reason, and the enrollment goes on", async () => {
    await start();
    const campaignId = await messagesCampaign(["Hola, ¿qué propiedad buscas?", "Te dejo nuestro catálogo."]);
    telegram.deliverThenCut(1);
    const lead = await createLead(3001);
    await server!.prospecta.campaignEngine.idle();

    // Exactly once: the cut send was not repeated, and step 2 still ran.
    expect(telegram.delivered(3001).map((m) => m.text)).toEqual(["Hola, ¿qué propiedad buscas?", "Te dejo nuestro catálogo."]);
    expect(sendsTo(3001)).toHaveLength(2);

    const flagged = (await server!.api("GET", `/campaigns/${campaignId}/logs?needs_review=true`)).body;
    expect(flagged.total).toBe(1);
    expect(flagged.items[0]).toMatchObject({ step_number: 1, lead_id: lead.id, status: "in_flight", needs_review: true, attempts: 1 });
    expect(flagged.items[0].error).toMatch(/^Telegram no confirmó el envío \(ECONNRESET\): puede que el mensaje haya llegado o no; no se reintenta para no duplicar/);
    expect(flagged.items[0].finished_at).not.toBeNull();
    const all = (await server!.api("GET", `/campaigns/${campaignId}/logs`)).body;
    expect(all.items.map((l: { step_number: number; status: string; needs_review: boolean }) => [l.step_number, l.status, l.needs_review])).toEqual([
      [2, "success", false],
      [1, "in_flight", true],
    ]);

    const stats = (await server!.api("GET", `/campaigns/${campaignId}/stats`)).body;
    expect(stats).toMatchObject({ needs_review: 1, enrollments: { active: 0, completed: 1, exited: 0 } });
    expect(stats.steps).toEqual([
      expect.objectContaining({ step_number: 1, in_flight: 1, needs_review: 1, success: 0 }),
      expect.objectContaining({ step_number: 2, success: 1, needs_review: 0 }),
    ]);

    // Later passes leave it alone: flagged is final, never a retry.
    await server!.api("POST", "/campaigns/run");
    expect(sendsTo(3001)).toHaveLength(2);
  });

  it("an appointment reminder cut after Telegram took it is not sent again, and is written down for review", async () => {
    await start();
    const lead = await createLead(3101, "Dani Ruiz");
    const now = server!.clock.now().getTime();
    const [appointment] = await server!.sql(
      // A confirmed appointment: its calendar event written (a booking still being confirmed gets no reminder).
      "INSERT INTO appointments (lead_id, starts_at, ends_at, calendar_event_id, calendar_provider, created_at, updated_at) VALUES (?, ?, ?, 'local-recordatorio', 'local', ?, ?) RETURNING id",
      lead.id,
      new Date(now + 20 * 3_600_000),
      new Date(now + 21 * 3_600_000),
      new Date(now),
      new Date(now),
    );
    telegram.deliverThenCut(1);
    expect(await server!.prospecta.booking.runDueReminders()).toEqual({ reminders: 0, followed_up: 0 });
    expect(await server!.prospecta.booking.runDueReminders()).toEqual({ reminders: 0, followed_up: 0 });

    expect(telegram.delivered(3101)).toEqual([expect.objectContaining({ text: expect.stringMatching(/te recuerdo tu cita de mañana/) })]);
    expect(sendsTo(3101)).toHaveLength(1);
    const [audit] = await server!.sql("SELECT actor, entity, entity_id, after FROM audit_logs WHERE action = 'appointment.reminder_needs_review'");
    expect(audit).toMatchObject({ actor: "system:reminders", entity: "appointment", entity_id: appointment.id });
    expect(JSON.parse(audit.after)).toEqual({ kind: "24h", reason: expect.stringMatching(/ECONNRESET.*puede que el recordatorio haya llegado o no; no se reenvía/) });
  });
});

describe("what certainly did not arrive is retried, through one layer", () => {
  it("connections refused at first: retried once Telegram is back, delivered exactly once, and the step succeeds", async () => {
    const lines: string[] = [];
    // Backoff from 200 ms over six attempts: ample time to come back after the first refusal is logged.
    await start({ env: { CAMPAIGN_MAX_ATTEMPTS: "6" }, retryBaseMs: 200, logLines: lines });
    const campaignId = await messagesCampaign(["Hola, ¿qué propiedad buscas?"]);
    await telegram.refuseConnections();
    await createLead(3201);

    await vi.waitFor(() => expect(lines.some((line) => line.includes("Telegram call not delivered, retrying") && line.includes("ECONNREFUSED"))).toBe(true), {
      timeout: 5000,
    });
    await telegram.acceptConnections();
    await server!.prospecta.campaignEngine.idle();

    expect(telegram.delivered(3201)).toHaveLength(1);
    expect(sendsTo(3201)).toHaveLength(1); // refused attempts never reached Telegram
    const [log] = (await server!.api("GET", `/campaigns/${campaignId}/logs`)).body.items;
    expect(log).toMatchObject({ status: "success", needs_review: false, error: null });
    expect(log.attempts).toBeGreaterThanOrEqual(2);
  });

  it("429 (after retry_after) and 5xx are retried, and one step never sends more than CAMPAIGN_MAX_ATTEMPTS times", async () => {
    await start({ env: { CAMPAIGN_MAX_ATTEMPTS: "3" } });
    const campaignId = await messagesCampaign(["Hola, ¿qué propiedad buscas?"]);

    telegram.failNext("sendMessage", TELEGRAM_ERRORS.tooManyRequests(1));
    telegram.failNext("sendMessage", TELEGRAM_ERRORS.serverError);
    const recovered = await createLead(3301);
    await server!.prospecta.campaignEngine.idle();
    expect(sendsTo(3301)).toHaveLength(3);
    expect(telegram.delivered(3301)).toHaveLength(1);

    telegram.failNext("sendMessage", TELEGRAM_ERRORS.serverError, 10);
    const given = await createLead(3302, "Beto");
    await server!.prospecta.campaignEngine.idle();
    expect(sendsTo(3302)).toHaveLength(3);
    expect(telegram.delivered(3302)).toHaveLength(0);

    const logs = (await server!.api("GET", `/campaigns/${campaignId}/logs`)).body.items as { lead_id: number; status: string; attempts: number; error: string | null }[];
    expect(logs.find((l) => l.lead_id === recovered.id)).toMatchObject({ status: "success", attempts: 3, error: null });
    expect(logs.find((l) => l.lead_id === given.id)).toMatchObject({ status: "failed", attempts: 3, error: "Telegram 502: Bad Gateway" });
    // A failed send is final for the step; the enrollment still ends normally.
    expect(await server!.sql("SELECT status FROM campaign_enrollments WHERE lead_id = ?", given.id)).toEqual([{ status: "completed" }]);
  });
});

describe("one Telegram Api per process", () => {
  it("the bot and the campaigns share one throttler: a bot reply waits behind a campaign message to the same chat", async () => {
    const ana = { id: 3401, first_name: "Ana" };
    const beto = { id: 3402, first_name: "Beto" };
    await start({ seedSamples: true, env: { TELEGRAM_MAX_PER_SECOND: "30" } });
    const prospecta = server!.prospecta;
    expect(prospecta.telegram?.api).toBe(prospecta.bot?.api);
    await prospecta.startBot();

    // The welcome campaign's message to Ana reaches Telegram and stays unanswered: it holds Ana's per-chat slot.
    telegram.holdChat(ana.id);
    let botReply: string;
    try {
      expect((await server!.api("PUT", "/campaigns/1", { status: "active" })).status).toBe(200);
      const lead = await createLead(ana.id, "Ana López");
      await vi.waitFor(() => expect(sendsTo(ana.id)).toHaveLength(1), { timeout: 5000 });

      // Ana writes; the bot has its answer ready (stored) and sends it into the same queue.
      telegram.userSays(ana, "Busco una casa en Coyoacán");
      const stored = () => server!.sql("SELECT text FROM messages WHERE lead_id = ? AND direction = 'outbound'", lead.id);
      await vi.waitFor(async () => expect(await stored()).toHaveLength(1), { timeout: 5000 });
      botReply = (await stored())[0].text;
      // Meanwhile another chat is answered: the bot is not stuck, only Ana's queue waits.
      telegram.userSays(beto, "Hola");
      await vi.waitFor(() => expect(telegram.delivered(beto.id)).toHaveLength(1), { timeout: 5000 });
      expect(sendsTo(ana.id)).toHaveLength(1);
    } finally {
      // Answered in the end whatever happened, so the held step can finish and the server close.
      telegram.releaseChat(ana.id);
    }
    await vi.waitFor(() => expect(telegram.delivered(ana.id)).toHaveLength(2), { timeout: 5000 });
    const [welcome, reply] = telegram.delivered(ana.id);
    expect(welcome!.text).toMatch(/^Hola Ana López, gracias por tu interés/);
    expect(reply!.text).toBe(botReply);
    await prospecta.campaignEngine.idle();
  });
});
