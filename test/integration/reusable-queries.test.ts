/**
 * Queries built once (db/prepared.ts) behave as the queries they replace, on
 * both databases: values mapped by their column, nulls written as nulls, each
 * set of columns its own statement, run inside the transaction that is open,
 * and kept per database.
 */
import { describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "../../db/client";
import type { Database } from "../../db/database";
import { sqliteDatabase } from "../../db/sqlite-database";
import {
  findLead,
  findLeadsByAddress,
  findLeadWithScoreFacts,
  insertLead,
  insertLeads,
  insertStageHistories,
  listStageHistory,
  readScoreFacts,
  savePendingChoices,
  moveLeadRow,
  updateLeadRow,
  updateLeadRowWithAudits,
} from "../../db/repositories/leads-repository";
import { findMessageByExternalId, insertMessage, markMessageSent, recordInbound } from "../../db/repositories/messages-repository";
import type { Executor } from "../../db/executor";
import { insertAudits } from "../../db/repositories/audit-repository";
import { rawRows } from "../../db/prepared";
import { sql } from "drizzle-orm";
import { DIALECTS, skipPostgres, useBothDatabases } from "../support/both-databases";

const databaseFor = useBothDatabases();

const at = new Date("2026-03-01T18:30:00.123Z");
const newLead = (database: Database, name: string) =>
  database.run((q) =>
    insertLead(q, { name, source: "api", pipeline_stage: "entrada", stage_changed_at: at, last_activity_at: at, created_at: at, updated_at: at }),
  );

describe.each(DIALECTS)("reusable queries on %s", (dialect) => {
  const skip = dialect === "postgres" && skipPostgres;

  it.skipIf(skip)("map dates, booleans and JSON through their columns and write nulls as nulls", async () => {
    const database = databaseFor(dialect);
    const lead = await newLead(database, "Ana");
    expect(lead).toMatchObject({ name: "Ana", email: null, opted_out: false, stage_changed_at: at });

    const later = new Date(at.getTime() + 60_000);
    expect(
      await database.run((q) => updateLeadRow(q, lead.id, { handoff_at: later, opted_out: true, source_detail: { ad_id: "1" }, updated_at: later })),
    ).toMatchObject({ handoff_at: later, opted_out: true, source_detail: { ad_id: "1" } });
    // The same columns set to null: a statement of its own, and no mapping of null (a time or JSON column would refuse it).
    expect(await database.run((q) => updateLeadRow(q, lead.id, { handoff_at: null, source_detail: null, updated_at: later }))).toMatchObject({
      handoff_at: null,
      source_detail: null,
    });
    expect(await database.run((q) => rawRows(q, sql`SELECT handoff_at, source_detail FROM leads WHERE id = ${lead.id}`))).toEqual([
      { handoff_at: null, source_detail: null },
    ]);

    await database.run((q) => savePendingChoices(q, lead.id, [{ id: "a", label: "jueves 10:00" }]));
    expect((await database.run((q) => findLead(q, lead.id)))!.pending_choices).toEqual([{ id: "a", label: "jueves 10:00" }]);
    await database.run((q) => savePendingChoices(q, lead.id, null));
    expect((await database.run((q) => findLead(q, lead.id)))!.pending_choices).toBeNull();
  });

  it.skipIf(skip)("read a lead with its score facts in one statement as the two reads apart answer them", async () => {
    const database = databaseFor(dialect);
    const lead = await newLead(database, "Con respuestas");
    for (const text of ["Hola", "/start", "Busco casa"]) await database.run((q) => insertMessage(q, { lead_id: lead.id, direction: "inbound", channel: "telegram", text, at }));
    const found = await database.run((q) => findLeadWithScoreFacts(q, lead.id));
    expect(found).toEqual({ lead: await database.run((q) => findLead(q, lead.id)), facts: await database.run((q) => readScoreFacts(q, lead.id)) });
    expect(found?.facts).toEqual({ inboundMessages: 2, answeredCalls: 0, hasAppointment: false });
    expect(found?.lead.stage_changed_at).toEqual(at);
    expect(await database.run((q) => findLeadWithScoreFacts(q, lead.id + 1000))).toBeUndefined();
  });

  it.skipIf(skip)("store an inbound message once, with the lead's activity (and WhatsApp's window) in the same write", async () => {
    const database = databaseFor(dialect);
    const lead = await newLead(database, "Activa");
    const later = new Date(at.getTime() + 60_000);
    const record = (channel: "telegram" | "whatsapp", externalId: string, when: Date) => {
      const write = (q: Executor) => recordInbound(q, lead.id, channel, "Hola", when, externalId);
      // One statement on PostgreSQL; on SQLite two, which a transaction keeps together.
      return database.dialect === "postgres" ? database.run(write) : database.transaction(write);
    };
    const stored = await record("telegram", "tg-1", later);
    expect(stored).toMatchObject({ lead_id: lead.id, direction: "inbound", channel: "telegram", text: "Hola", external_id: "tg-1", at: later, extraction_pending: false });
    expect(await database.run((q) => findLead(q, lead.id))).toMatchObject({ last_activity_at: later, updated_at: later, whatsapp_last_inbound_at: null });

    // A second delivery of the same message: nothing stored, the lead untouched.
    expect(await record("telegram", "tg-1", new Date(later.getTime() + 1000))).toBeNull();
    expect((await database.run((q) => findLead(q, lead.id)))?.last_activity_at).toEqual(later);

    const onWhatsapp = new Date(later.getTime() + 60_000);
    await record("whatsapp", "wa-1", onWhatsapp);
    expect(await database.run((q) => findLead(q, lead.id))).toMatchObject({ last_activity_at: onWhatsapp, whatsapp_last_inbound_at: onWhatsapp });
  });

  it.skipIf(skip)("find the leads behind several chats at once, in the order asked, a chat asked twice answered twice", async () => {
    const database = databaseFor(dialect);
    const base = dialect === "postgres" ? 71_000 : 72_000;
    const [eva, fer] = [await newLead(database, "Eva"), await newLead(database, "Fer")];
    await database.run((q) => updateLeadRow(q, eva.id, { telegram_chat_id: base + 1, whatsapp_id: `521${base}1` }));
    await database.run((q) => updateLeadRow(q, fer.id, { telegram_chat_id: base + 2 }));
    const names = (leads: ({ name: string | null } | undefined)[]) => leads.map((lead) => lead?.name);
    expect(names(await database.run((q) => findLeadsByAddress(q, "telegram_chat_id", [base + 2, base + 9, base + 1, base + 2])))).toEqual(["Fer", undefined, "Eva", "Fer"]);
    expect(names(await database.run((q) => findLeadsByAddress(q, "telegram_chat_id", [base + 1])))).toEqual(["Eva"]);
    expect(names(await database.run((q) => findLeadsByAddress(q, "whatsapp_id", [`521${base}9`, `521${base}1`])))).toEqual([undefined, "Eva"]);
  });

  it.skipIf(skip)("leave out undefined values instead of writing them", async () => {
    const database = databaseFor(dialect);
    const lead = await newLead(database, "Beto");
    const updated = await database.run((q) => updateLeadRow(q, lead.id, { name: undefined, email: "beto@example.com" }));
    expect(updated).toMatchObject({ name: "Beto", email: "beto@example.com" });
  });

  it.skipIf(skip)("run inside the open transaction: a rollback takes their writes back", async () => {
    const database = databaseFor(dialect);
    const lead = await newLead(database, "Carla");
    const message = await database.run((q) => insertMessage(q, { lead_id: lead.id, direction: "outbound", channel: "whatsapp", text: "Hola", at }));
    await expect(
      database.transaction(async (tx) => {
        await markMessageSent(tx, message.id, `SM-${dialect}`, "sent", at);
        expect((await findMessageByExternalId(tx, "whatsapp", `SM-${dialect}`))?.id).toBe(message.id);
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect(await database.run((q) => findMessageByExternalId(q, "whatsapp", `SM-${dialect}`))).toBeUndefined();
  });

  it.skipIf(skip)("write a lead's change with its history and audit rows, in the audits' order, and take all of them back together", async () => {
    const database = databaseFor(dialect);
    const lead = await newLead(database, "Dalia");
    const later = new Date(at.getTime() + 60_000);
    // Quotes, backslashes, accents and emoji inside the JSON, a null and a missing before/after.
    const audits = [
      { actor: "lead", action: "lead.update", entity: "lead", entity_id: lead.id, before: { zone: null }, after: { zone: 'Colonia "Roma" \\ Sur 🏠' } },
      { actor: "lead", action: "lead.stage_change", entity: "lead", entity_id: lead.id, before: { pipeline_stage: "entrada" }, after: { pipeline_stage: "perfilamiento" } },
      { actor: "lead", action: "lead.approval", entity: "lead", entity_id: null },
    ];
    const history = { lead_id: lead.id, from_stage: "entrada" as const, to_stage: "perfilamiento" as const, reason: "Avance automático", actor: "lead", forced: false, at: later };
    const audited = () => database.run((q) => rawRows(q, sql`SELECT action, entity_id, before, after, at FROM audit_logs WHERE actor = 'lead' ORDER BY id`));
    const before = await audited();

    const { lead: moved } = await database.transaction((tx) =>
      moveLeadRow(tx, lead.id, { pipeline_stage: "perfilamiento", stage_changed_at: later, updated_at: later }, history, { audits, at: later }),
    );
    expect(moved).toMatchObject({ id: lead.id, pipeline_stage: "perfilamiento", stage_changed_at: later });
    expect(await database.run((q) => listStageHistory(q, lead.id))).toMatchObject([{ from_stage: "entrada", to_stage: "perfilamiento", reason: "Avance automático", forced: false, at: later }]);
    const written = (await audited()).slice(before.length) as { action: string; entity_id: number | null; before: unknown; after: unknown }[];
    const json = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value);
    expect(written.map((row) => ({ action: row.action, entity_id: row.entity_id, before: json(row.before), after: json(row.after) }))).toEqual([
      { action: "lead.update", entity_id: lead.id, before: { zone: null }, after: { zone: 'Colonia "Roma" \\ Sur 🏠' } },
      { action: "lead.stage_change", entity_id: lead.id, before: { pipeline_stage: "entrada" }, after: { pipeline_stage: "perfilamiento" } },
      { action: "lead.approval", entity_id: null, before: null, after: null },
    ]);

    // Without a history row, and rolled back by the transaction around it: nothing of it stays.
    await expect(
      database.transaction(async (tx) => {
        await updateLeadRowWithAudits(tx, lead.id, { name: "Dalia R.", updated_at: later }, { audits: audits.slice(0, 1), at: later });
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect((await database.run((q) => findLead(q, lead.id)))?.name).toBe("Dalia");
    expect(await audited()).toHaveLength(before.length + 3);
    expect(await database.run((q) => listStageHistory(q, lead.id))).toHaveLength(1);
  });

  it.skipIf(skip)("write several leads, their history and audits together: in the order given, mapped, defaults kept where a row gives no value", async () => {
    const database = databaseFor(dialect);
    const row = { source: "api", stage_changed_at: at, last_activity_at: at, created_at: at, updated_at: at };
    const odd = 'Ana "la de Roma" \\ {Sur}, 🏠';
    const leads = await database.transaction((tx) =>
      insertLeads(tx, [
        { ...row, name: "Uno", email: "uno@correo.example", budget_max: 2_500_000.5, source_detail: { ad_id: "7", text: odd } },
        // No email, no stage: the columns' defaults (and a null written as null).
        { ...row, name: odd, telegram_chat_id: 2 ** 52, opted_out: true, notes: null },
        { ...row, name: "Tres", email: "tres@correo.example", budget_max: null, source_detail: null },
      ]),
    );
    expect(leads.map((lead) => lead.name)).toEqual(["Uno", odd, "Tres"]);
    expect(leads[0]!.id).toBeLessThan(leads[1]!.id);
    expect(leads[0]).toMatchObject({ email: "uno@correo.example", budget_max: 2_500_000.5, source_detail: { ad_id: "7", text: odd }, stage_changed_at: at });
    expect(leads[1]).toMatchObject({ email: null, pipeline_stage: "entrada", currency: "MXN", telegram_chat_id: 2 ** 52, opted_out: true, notes: null });
    expect(leads[2]).toMatchObject({ budget_max: null, source_detail: null, opted_out: false });
    for (const lead of leads) expect(await database.run((q) => findLead(q, lead.id))).toEqual(lead);

    await database.transaction(async (tx) => {
      await insertStageHistories(tx, leads.map((lead) => ({ lead_id: lead.id, from_stage: null, to_stage: "entrada" as const, reason: odd, actor: "api", at })));
      await insertAudits(tx, [
        { actor: "api", action: "lead.create", entity: "lead", entity_id: leads[0]!.id, after: { name: odd } },
        { actor: "api", action: "lead.create", entity: "lead", entity_id: null },
      ], at);
    });
    expect(await database.run((q) => listStageHistory(q, leads[1]!.id))).toMatchObject([{ to_stage: "entrada", reason: odd, forced: false, at }]);
    const json = (value: unknown) => (typeof value === "string" ? JSON.parse(value) : value);
    const audits = await database.run((q) => rawRows<{ entity_id: number | null; before: unknown; after: unknown }>(q, sql`SELECT entity_id, before, after FROM audit_logs WHERE action = 'lead.create' ORDER BY id`));
    expect(audits.map((audit) => ({ ...audit, before: json(audit.before), after: json(audit.after) }))).toEqual([
      { entity_id: leads[0]!.id, before: null, after: { name: odd } },
      { entity_id: null, before: null, after: null },
    ]);

    // A refused group writes none of its rows.
    await expect(database.transaction((tx) => insertLeads(tx, [{ ...row, name: "Cuatro" }, { ...row, name: "Cinco", phone: "+5215500000001" }, { ...row, name: "Seis", phone: "+5215500000001" }]))).rejects.toThrow();
    expect(await database.run((q) => rawRows(q, sql`SELECT id FROM leads WHERE name IN ('Cuatro', 'Cinco', 'Seis')`))).toEqual([]);
  });
});

describe("reusable queries on SQLite", () => {
  it("are kept per database: another database gets queries of its own", async () => {
    const open = () => {
      const db = openDatabase(":memory:");
      migrateDatabase(db);
      return sqliteDatabase(db);
    };
    const [one, other] = [open(), open()];
    try {
      await newLead(one, "Dora");
      expect(await other.run((q) => findLead(q, 1))).toBeUndefined();
      expect((await one.run((q) => findLead(q, 1)))?.name).toBe("Dora");
    } finally {
      await one.close();
      await other.close();
    }
  });
});
