/**
 * A chat's message writes grouped across chats (chat-message-writes.ts), on
 * both databases: a group answers each caller with its own row, in the order
 * given; a message the channel delivered twice is stored once, within a group
 * or across groups; each lead's activity is its latest stored message; and a
 * group one bad item breaks is written again item by item, so only that item
 * fails.
 */
import { describe, expect, it } from "vitest";
import { writeAsOne, type Database } from "../../db/database";
import { findLead, insertLead } from "../../db/repositories/leads-repository";
import {
  applyProgressReports,
  findMessageByExternalId,
  findMessagesByExternalIds,
  insertMessages,
  markMessagesSent,
  recordInbounds,
  type InboundMessage,
} from "../../db/repositories/messages-repository";
import { createMessageStatusService } from "../../src/services/message-status-service";
import { statusesMovingTo } from "../../src/domain/message-status";
import { createLeadEvents } from "../../src/services/lead-events";
import { systemClock } from "../../src/clock";
import { rawRows, rawRun } from "../../db/prepared";
import { sql } from "drizzle-orm";
import { createChatMessageWrites } from "../../src/services/chat-message-writes";
import { createLogger } from "../../src/logger";
import { DIALECTS, skipPostgres, useBothDatabases } from "../support/both-databases";

const databaseFor = useBothDatabases();
const at = new Date("2026-03-01T18:30:00.000Z");
const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);
const newLead = (database: Database, name: string) =>
  database.run((q) =>
    insertLead(q, { name, source: "api", pipeline_stage: "entrada", stage_changed_at: at, last_activity_at: at, created_at: at, updated_at: at }),
  );
const quiet = createLogger("silent");

describe.each(DIALECTS)("chat message writes on %s", (dialect) => {
  const skip = dialect === "postgres" && skipPostgres;

  it.skipIf(skip)("store several leads' messages together, once each, with each lead's latest activity", async () => {
    const database = databaseFor(dialect);
    const [ana, beto, carla] = [await newLead(database, "Ana"), await newLead(database, "Beto"), await newLead(database, "Carla")];
    const tag = `${dialect}-${ana.id}`;
    // Carla's message came before (an earlier group): its redelivery here is skipped.
    await writeAsOne(database, (q) => recordInbounds(q, [{ leadId: carla.id, channel: "whatsapp", text: "Hola", at: later(1), externalId: `wa-${tag}` }]));

    const items: InboundMessage[] = [
      { leadId: ana.id, channel: "telegram", text: "Busco depa", at: later(10), externalId: `tg-1-${tag}` },
      { leadId: beto.id, channel: "whatsapp", text: "Hola", at: later(11), externalId: `wa-b-${tag}` },
      { leadId: ana.id, channel: "telegram", text: "Busco depa", at: later(12), externalId: `tg-1-${tag}` },
      { leadId: carla.id, channel: "whatsapp", text: "Hola", at: later(13), externalId: `wa-${tag}` },
      { leadId: ana.id, channel: "telegram", text: "en la Roma", at: later(14), externalId: `tg-2-${tag}` },
      { leadId: beto.id, channel: "telegram", text: "sin id", at: later(15), externalId: null },
    ];
    const stored = await writeAsOne(database, (q) => recordInbounds(q, items));
    expect(stored.map((message) => message && { lead_id: message.lead_id, text: message.text, external_id: message.external_id, at: message.at })).toEqual([
      { lead_id: ana.id, text: "Busco depa", external_id: `tg-1-${tag}`, at: later(10) },
      { lead_id: beto.id, text: "Hola", external_id: `wa-b-${tag}`, at: later(11) },
      null,
      null,
      { lead_id: ana.id, text: "en la Roma", external_id: `tg-2-${tag}`, at: later(14) },
      { lead_id: beto.id, text: "sin id", external_id: null, at: later(15) },
    ]);
    expect(new Set(stored.filter(Boolean).map((message) => message!.id)).size).toBe(4);

    expect(await database.run((q) => findLead(q, ana.id))).toMatchObject({ last_activity_at: later(14), updated_at: later(14), whatsapp_last_inbound_at: null });
    // Beto's WhatsApp window opens at his WhatsApp message, not at his later Telegram one.
    expect(await database.run((q) => findLead(q, beto.id))).toMatchObject({ last_activity_at: later(15), whatsapp_last_inbound_at: later(11) });
    // Carla's redelivery changed nothing.
    expect(await database.run((q) => findLead(q, carla.id))).toMatchObject({ last_activity_at: later(1), whatsapp_last_inbound_at: later(1) });
  });

  it.skipIf(skip)("store replies in the order given and mark several sent at once", async () => {
    const database = databaseFor(dialect);
    const lead = await newLead(database, "Dora");
    const texts = ["uno", "dos", "tres", "cuatro"];
    const stored = await writeAsOne(database, (q) =>
      insertMessages(q, texts.map((text, i) => ({ lead_id: lead.id, direction: "outbound" as const, channel: "telegram" as const, agent_type: "perfilador", text, at: later(i) }))),
    );
    expect(stored.map((message) => message.text)).toEqual(texts);

    const marks = stored.slice(0, 3).map((message, i) => ({ messageId: message.id, externalId: `${dialect}-${lead.id}-${i}`, at: later(30 + i) }));
    await writeAsOne(database, (q) => markMessagesSent(q, marks));
    for (const mark of marks) {
      expect(await database.run((q) => findMessageByExternalId(q, "telegram", mark.externalId))).toMatchObject({ id: mark.messageId, status: "sent", status_at: mark.at });
    }
    const [untouched] = await database.run((q) => rawRows<{ external_id: string | null; status: string | null }>(q, sql`SELECT external_id, status FROM messages WHERE id = ${stored[3]!.id}`));
    expect(untouched).toEqual({ external_id: null, status: null });
  });

  it.skipIf(skip)("answer concurrent callers each with their own row, and fail only the item that cannot be written", async () => {
    const database = databaseFor(dialect);
    const writes = createChatMessageWrites(database, quiet);
    const leads = await Promise.all(["E1", "E2", "E3", "E4", "E5"].map((name) => newLead(database, name)));
    const missingLead = leads.at(-1)!.id + 10_000;

    const replies = await Promise.allSettled(
      [...leads.map((lead) => lead.id), missingLead].map((leadId, i) =>
        writes.storeReply({ lead_id: leadId, direction: "outbound", channel: "telegram", agent_type: "perfilador", text: `respuesta ${i}`, at }),
      ),
    );
    expect(replies.slice(0, 5).map((reply) => reply.status === "fulfilled" && { lead_id: reply.value.lead_id, text: reply.value.text })).toEqual(
      leads.map((lead, i) => ({ lead_id: lead.id, text: `respuesta ${i}` })),
    );
    expect(replies[5]!.status).toBe("rejected");

    const received = await Promise.all(
      leads.map((lead, i) => writes.recordInbound({ leadId: lead.id, channel: "telegram", text: `hola ${i}`, at: later(60), externalId: `${dialect}-c-${lead.id}` })),
    );
    expect(received.map((message) => message?.text)).toEqual(leads.map((_, i) => `hola ${i}`));
    const again = await Promise.all(
      leads.map((lead, i) => writes.recordInbound({ leadId: lead.id, channel: "telegram", text: `hola ${i}`, at: later(61), externalId: `${dialect}-c-${lead.id}` })),
    );
    expect(again).toEqual(leads.map(() => null));

    const sent = replies.slice(0, 5).map((reply) => (reply as PromiseFulfilledResult<{ id: number }>).value);
    await Promise.all(sent.map((message, i) => writes.markSent("telegram", message.id, `${dialect}-s-${message.id}`, later(90 + i))));
    for (const [i, message] of sent.entries()) {
      expect(await database.run((q) => findMessageByExternalId(q, "telegram", `${dialect}-s-${message.id}`))).toMatchObject({ id: message.id, status: "sent", status_at: later(90 + i) });
    }
  });

  it.skipIf(skip)("move delivery statuses only forward, as the rows are when written, a read counting as the lead's activity", async () => {
    const database = databaseFor(dialect);
    const lead = await newLead(database, "Gala");
    const stored = await writeAsOne(database, (q) =>
      insertMessages(q, [1, 2, 3].map((i) => ({ lead_id: lead.id, direction: "outbound" as const, channel: "whatsapp" as const, text: `m${i}`, at, external_id: `SM${dialect}${lead.id}x${i}`, status: "sent" as const }))),
    );
    const ids = stored.map((message) => message.external_id!);
    expect((await database.run((q) => findMessagesByExternalIds(q, "whatsapp", [ids[2]!, "SMnadie", ids[0]!, ids[2]!]))).map((m) => m?.text)).toEqual(["m3", undefined, "m1", "m3"]);

    const statusOf = async (id: number) => (await database.run((q) => rawRows<{ status: string }>(q, sql`SELECT status FROM messages WHERE id = ${id}`)))[0]!.status;
    const [one, two, three] = stored as [(typeof stored)[0], (typeof stored)[0], (typeof stored)[0]];
    // Another report moved the second to read since: a delivery report no longer moves it.
    await database.run((q) => rawRun(q, sql`UPDATE messages SET status = 'read' WHERE id = ${two.id}`));
    const outcomes = await writeAsOne(database, (q) =>
      applyProgressReports(
        q,
        "whatsapp",
        [
          { externalId: ids[0]!, to: "delivered", at: later(5), errorCode: null },
          { externalId: ids[1]!, to: "delivered", at: later(6), errorCode: null },
          { externalId: "SMnadie", to: "read", at: later(7), errorCode: null },
          { externalId: ids[2]!, to: "read", at: later(8), errorCode: null },
        ],
        statusesMovingTo,
      ),
    );
    expect(outcomes).toEqual(["updated", "unchanged", "missing", "updated"]);
    expect([await statusOf(one.id), await statusOf(two.id), await statusOf(three.id)]).toEqual(["delivered", "read", "read"]);
    expect((await database.run((q) => findLead(q, lead.id)))!.last_activity_at).toEqual(later(8));
    // A late "sent" moves nothing back; two reports of one message do not go in one group.
    expect(await writeAsOne(database, (q) => applyProgressReports(q, "whatsapp", [{ externalId: ids[0]!, to: "sent", at: later(9), errorCode: null }], statusesMovingTo))).toEqual(["unchanged"]);
    const twice = [ids[0]!, ids[0]!].map((externalId) => ({ externalId, to: "read" as const, at: later(10), errorCode: null }));
    await expect(writeAsOne(database, (q) => applyProgressReports(q, "whatsapp", twice, statusesMovingTo))).rejects.toThrow("two progress reports of one message");
  });

  it.skipIf(skip)("apply a message's sent, delivered and read reports arriving at once, in any order, to read", async () => {
    const database = databaseFor(dialect);
    const reports = createMessageStatusService({ db: database, clock: systemClock, timeZone: "America/Mexico_City", events: createLeadEvents() });
    const lead = await newLead(database, "Hugo");
    for (const order of [["sent", "delivered", "read"], ["read", "delivered", "sent"], ["delivered", "read", "sent"]]) {
      const sid = `SM${dialect}${lead.id}${order.join("")}`;
      await writeAsOne(database, (q) => insertMessages(q, [{ lead_id: lead.id, direction: "outbound", channel: "whatsapp", text: "hola", at, external_id: sid, status: "sent" }]));
      const answers = await Promise.all(order.map((status) => reports.applyReport({ channel: "whatsapp", externalId: sid, status, errorCode: null, unreachable: false })));
      expect(answers).toContain("updated");
      expect(answers).not.toContain("held");
      expect((await database.run((q) => findMessageByExternalId(q, "whatsapp", sid)))?.status).toBe("read");
    }
    expect((await database.run((q) => findLead(q, lead.id)))!.last_activity_at.getTime()).toBeGreaterThan(at.getTime());
  });

  it.skipIf(skip)("apply the reports Twilio sent before its answer named the reply, once the reply's id is written", async () => {
    const database = databaseFor(dialect);
    const reports = createMessageStatusService({ db: database, clock: systemClock, timeZone: "America/Mexico_City", events: createLeadEvents() });
    const writes = createChatMessageWrites(database, quiet);
    const lead = await newLead(database, "Iris");
    const reply = await writes.storeReply({ lead_id: lead.id, direction: "outbound", channel: "whatsapp", agent_type: "perfilador", text: "hola", at });
    const sid = `SM${dialect}early${lead.id}`;
    for (const status of ["sent", "delivered", "read"]) {
      expect(await reports.applyReport({ channel: "whatsapp", externalId: sid, status, errorCode: null, unreachable: false })).toBe("held");
    }
    await writes.markSent("whatsapp", reply.id, sid, later(2));
    expect(await database.run((q) => findMessageByExternalId(q, "whatsapp", sid))).toMatchObject({ id: reply.id, status: "read" });
    const [held] = await database.run((q) => rawRows<{ n: number | string }>(q, sql`SELECT count(*) AS n FROM held_delivery_reports WHERE external_id = ${sid}`));
    expect(Number(held!.n)).toBe(0);
    // A report after the id: straight to the message.
    expect(await reports.applyReport({ channel: "whatsapp", externalId: sid, status: "delivered", errorCode: null, unreachable: false })).toBe("unchanged");
  });
});
