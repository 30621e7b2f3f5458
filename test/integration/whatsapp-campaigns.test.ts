/**
 * Campaigns on WhatsApp: inside the 24-hour window the message goes as text;
 * outside it only the template's approved WhatsApp version goes; without one
 * the step is skipped with the reason. Unreachable numbers and unknown outcomes
 * are handled as on Telegram.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTwilioMessaging } from "../fakes/twilio-messaging";
import { whatsappEnv, startTestServer, TEST_WEBHOOK_BASE, type TestServer } from "./test-server";

type FakeMessaging = Awaited<ReturnType<typeof startFakeTwilioMessaging>>;
let fake: FakeMessaging;
let server: TestServer;
const APPROVED = "HX0123456789abcdef0123456789abcdef";

beforeAll(async () => {
  fake = await startFakeTwilioMessaging({ sender: "+5215550001111", routeWebhook: (url) => url.replace(TEST_WEBHOOK_BASE, server.baseUrl) });
  fake.registerTemplate(APPROVED, { body: "Hola {{1}}, ¿sigues buscando en {{2}}?", variables: { 1: "cliente", 2: "tu zona" } });
  server = await startTestServer({
    env: {
      ...whatsappEnv(fake),
    },
  });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

let campaignCount = 0;
let previous: number | null = null;
/** An active WhatsApp campaign sending `template` to leads entering perfilamiento (the previous test's is paused). */
async function whatsappCampaign(template: Record<string, unknown>, stage = "perfilamiento") {
  if (previous !== null) await server.api("PUT", `/campaigns/${previous}`, { status: "paused" });
  const created = (await server.api("POST", "/templates", { name: `Seguimiento ${++campaignCount}`, channel: "whatsapp", content: "Hola {{first_name}}, ¿sigues buscando en {{location}}?", ...template })).body;
  const campaign = (await server.api("POST", "/campaigns", { name: `WhatsApp ${campaignCount}`, channel: "whatsapp", triggered_by: "stage_change", trigger_condition: { stage } })).body;
  await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "send_message", message_template_id: created.id, delay_hours: 0 });
  await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" });
  previous = campaign.id;
  return campaign.id as number;
}

async function enter(campaignId: number, lead: { name: string; phone: string; location?: string }) {
  const created = (await server.api("POST", "/leads", lead)).body;
  await server.api("POST", `/pipeline/leads/${created.id}/move-stage`, { new_stage: "perfilamiento" });
  await server.prospecta.campaignEngine.idle();
  await fake.statusCallbacksIdle();
  const [log] = await server.sql("SELECT status, error, detail, needs_review FROM campaign_logs WHERE campaign_id = ? AND lead_id = ?", campaignId, created.id);
  return { lead: created, log };
}

describe("WhatsApp campaigns", () => {
  it("outside the window, sends the approved template with its variables in order", async () => {
    const campaign = await whatsappCampaign({ whatsapp_content_sid: APPROVED, whatsapp_variables: ["first_name", "location"] });
    const { log } = await enter(campaign, { name: "Lucía Torres", phone: "+5213320000001", location: "Zapopan" });
    expect(log.status).toBe("success");
    expect(JSON.parse(log.detail)).toMatchObject({ sent_as: "template" });
    const [sent] = fake.messagesTo("+5213320000001");
    expect(sent).toMatchObject({ contentSid: APPROVED, contentVariables: { 1: "Lucía", 2: "Zapopan" }, text: "Hola Lucía, ¿sigues buscando en Zapopan?" });
    // The stats follow the channel's delivery reports.
    const stats = (await server.api("GET", `/campaigns/${campaign}/stats`)).body;
    expect(stats).toMatchObject({ channel: "whatsapp", deliveries: { read: 1, failed: 0 } });
  });

  it("outside the window without an approved template, skips the step with the reason and sends nothing", async () => {
    const campaign = await whatsappCampaign({});
    const { log } = await enter(campaign, { name: "Mario", phone: "+5213320000002" });
    expect(log).toMatchObject({ status: "skipped", error: expect.stringMatching(/ventana de 24 horas/) });
    expect(fake.messagesTo("+5213320000002")).toEqual([]);
  });

  it("inside the window, sends the rendered text", async () => {
    const campaign = await whatsappCampaign({});
    // The lead's first message opens the window and moves it to perfilamiento, which enrolls it.
    await fake.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming` }).userSays("+5213320000003", "Hola, busco depa en la Roma");
    await server.prospecta.whatsapp!.idle();
    await server.prospecta.campaignEngine.idle();
    await fake.statusCallbacksIdle();
    const lead = (await server.sql("SELECT id FROM leads WHERE whatsapp_id = '5213320000003'"))[0];
    const [log] = await server.sql("SELECT status, detail FROM campaign_logs WHERE campaign_id = ? AND lead_id = ?", campaign, lead.id);
    expect(log.status).toBe("success");
    expect(JSON.parse(log.detail)).toMatchObject({ sent_as: "text" });
    const sent = fake.messagesTo("+5213320000003").find((m) => m.text.includes("sigues buscando"))!;
    expect(sent).toMatchObject({ contentSid: null });
  });

  /**
   * A free text step to a lead whose session Twilio says is closed (ours is behind): Twilio accepts
   * the text, then fails it with 63016. `callbackFirst`: the failure's callback comes before the
   * create's answer. Answers the step's log detail once everything settled.
   */
  async function freeTextTwilioFails(number: string, { callbackFirst }: { callbackFirst: boolean }) {
    const campaign = await whatsappCampaign({}, "calificacion_financiera");
    await fake.inbound({ url: `${TEST_WEBHOOK_BASE}/whatsapp/incoming` }).userSays(number, "Hola");
    await server.prospecta.whatsapp!.idle();
    fake.forgetInbound(number);
    if (callbackFirst) fake.answerAfterCallbacks(number);
    const lead = (await server.sql("SELECT id FROM leads WHERE whatsapp_id = ?", number.slice(1)))[0];
    await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "calificacion_financiera", force: true });
    await server.prospecta.campaignEngine.idle();
    await fake.statusCallbacksIdle();
    const [log] = await server.sql("SELECT status, detail FROM campaign_logs WHERE campaign_id = ? AND lead_id = ?", campaign, lead.id);
    const detail = JSON.parse(log.detail);
    expect(detail.delivery).toEqual({ status: "failed", error_code: "63016" });
    expect((await server.sql("SELECT status, error_code FROM messages WHERE external_id = ?", detail.message_sid))[0]).toEqual({ status: "failed", error_code: "63016" });
    return detail;
  }

  it("a free text Twilio later fails with 63016 is recorded on the message and next to the step", async () => {
    await freeTextTwilioFails("+5213320000006", { callbackFirst: false });
  });

  it("a failure Twilio reports before its API answer is held for the message and recorded next to the step", async () => {
    const detail = await freeTextTwilioFails("+5213320000007", { callbackFirst: true });
    // The callback really came first, and was answered as received.
    expect(fake.statusCallbacks.filter((c) => c.sid === detail.message_sid).map((c) => [c.messageStatus, c.status])).toEqual([["failed", 204]]);
    expect(await server.sql("SELECT * FROM held_delivery_reports")).toEqual([]);
  });

  it("marks a number Twilio refuses as unreachable on WhatsApp", async () => {
    const campaign = await whatsappCampaign({ whatsapp_content_sid: APPROVED, whatsapp_variables: ["first_name", "location"] });
    fake.rejectNumbers.add("+5213320000004");
    const { lead, log } = await enter(campaign, { name: "Nadia", phone: "+5213320000004" });
    expect(log).toMatchObject({ status: "failed", error: expect.stringMatching(/21211/) });
    expect((await server.sql("SELECT whatsapp_unreachable_at FROM leads WHERE id = ?", lead.id))[0].whatsapp_unreachable_at).not.toBeNull();
  });

  it("never resends a message whose delivery is unknown: the step needs review", async () => {
    const campaign = await whatsappCampaign({ whatsapp_content_sid: APPROVED, whatsapp_variables: ["first_name", "location"] });
    fake.recordThenCut("+5213320000005");
    const { log } = await enter(campaign, { name: "Olga", phone: "+5213320000005" });
    expect(log).toMatchObject({ status: "in_flight", needs_review: 1 });
    expect(fake.messagesTo("+5213320000005")).toHaveLength(1);
  });
});
