/**
 * A chat message's facts, the moves they allow and the approval land in one
 * transaction, the lead written once per stage entered. A message that takes a
 * lead from entrada through perfilamiento to an approved calificacion_financiera
 * leaves what the three changes made one by one left: a history row per move,
 * the audit rows in their order, the campaign of the stage passed through
 * entered and left, and a score that counts the approval.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { computeLeadScore } from "../../src/domain/scoring";
import { startFakeTelegram, type FakeTelegram } from "../fakes/telegram-bot-api";
import { startTestServer, type TestServer, telegramEnv } from "./test-server";

const lupe = { id: 556_001, first_name: "Lupe" };
let telegram: FakeTelegram;
let server: TestServer;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  server = await startTestServer({ env: telegramEnv(telegram) });
  expect(await server.prospecta.startBot()).toBe("polling");
});
afterAll(async () => {
  await server.close();
  await telegram.close();
});

async function say(text: string, replies: number): Promise<void> {
  const before = telegram.delivered(lupe.id).length;
  telegram.userSays(lupe, text);
  const deadline = Date.now() + 5000;
  while (telegram.delivered(lupe.id).length < before + replies && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(telegram.delivered(lupe.id).length).toBe(before + replies);
}

it("one message from entrada to an approved calificacion_financiera leaves every row the moves one by one did", async () => {
  // A campaign on entering perfilamiento, its first step a day later: the lead enters it and leaves it in the same message.
  const campaign = (await server.api("POST", "/campaigns", { name: "Perfil", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "perfilamiento" } })).body;
  await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "update_stage", target_stage: "perdido", delay_hours: 24 });
  expect((await server.api("PUT", `/campaigns/${campaign.id}`, { status: "active" })).status).toBe(200);

  await say("/start", 1);
  // The reply, then the phone request that a complete profile brings.
  await say("Busco una casa en Coyoacán de hasta 4 millones, la pago de contado", 2);

  const [row] = await server.sql("SELECT id FROM leads WHERE telegram_chat_id = ?", lupe.id);
  const lead = (await server.api("GET", `/leads/${row.id}`)).body;
  expect(lead).toMatchObject({ pipeline_stage: "calificacion_financiera", property_type: "casa", budget_max: 4_000_000, credit_type: "contado", financially_approved: true });
  expect(lead.stage_history.map((h: { to_stage: string; actor: string }) => [h.to_stage, h.actor])).toEqual([
    ["entrada", "bot:lead"],
    ["perfilamiento", "bot:lead"],
    ["calificacion_financiera", "bot:lead"],
  ]);
  const audits = await server.sql("SELECT actor, action FROM audit_logs WHERE entity = 'lead' AND entity_id = ? ORDER BY id", row.id);
  expect(audits.map((a) => `${a.actor} ${a.action}`)).toEqual([
    "bot:lead lead.create",
    "bot:lead lead.update",
    "bot:lead lead.stage_change",
    "bot:lead lead.stage_change",
    "system:approval lead.financial_approval",
  ]);
  const enrollments = await server.sql("SELECT status, exit_reason FROM campaign_enrollments WHERE lead_id = ? AND campaign_id = ?", row.id, campaign.id);
  expect(enrollments).toEqual([{ status: "exited", exit_reason: "El lead salió de la etapa perfilamiento" }]);
  // The score as the rule gives it for the lead as it is, the approval counted.
  expect(lead.score).toBe(computeLeadScore(lead, { inboundMessages: 1, answeredCalls: 0, hasAppointment: false }));
});
