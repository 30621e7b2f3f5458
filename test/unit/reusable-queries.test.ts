/**
 * Queries built once per database (db/prepared.ts) behave as the queries they
 * replace: values mapped by their column, nulls written as nulls, each set of
 * columns its own statement, and run inside the transaction that is open.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase, type Db } from "../../db/client";
import { findLead, insertLead, savePendingChoices, updateLeadRow } from "../../db/repositories/leads-repository";
import { findMessageByExternalId, insertMessage, markMessageSent } from "../../db/repositories/messages-repository";

let db: Db;
beforeEach(() => {
  db = openDatabase(":memory:");
  migrateDatabase(db);
});
afterEach(() => db.$client.close());

const at = new Date("2026-03-01T18:30:00.123Z");
const newLead = (name: string) =>
  insertLead(db, { name, source: "api", pipeline_stage: "entrada", stage_changed_at: at, last_activity_at: at, created_at: at, updated_at: at });

describe("reusable queries", () => {
  it("map dates, booleans and JSON through their columns and write nulls as nulls", () => {
    const lead = newLead("Ana");
    expect(lead).toMatchObject({ name: "Ana", email: null, opted_out: false, stage_changed_at: at });

    const later = new Date(at.getTime() + 60_000);
    expect(updateLeadRow(db, lead.id, { handoff_at: later, opted_out: true, source_detail: { ad_id: "1" }, updated_at: later })).toMatchObject({
      handoff_at: later,
      opted_out: true,
      source_detail: { ad_id: "1" },
    });
    // The same columns set to null: a statement of its own, and no mapping of null (a time or JSON column would refuse it).
    expect(updateLeadRow(db, lead.id, { handoff_at: null, source_detail: null, updated_at: later })).toMatchObject({ handoff_at: null, source_detail: null });
    expect(db.$client.prepare("SELECT handoff_at, source_detail FROM leads WHERE id = ?").get(lead.id)).toEqual({ handoff_at: null, source_detail: null });

    savePendingChoices(db, lead.id, [{ id: "a", label: "jueves 10:00" }]);
    expect(findLead(db, lead.id)!.pending_choices).toEqual([{ id: "a", label: "jueves 10:00" }]);
    savePendingChoices(db, lead.id, null);
    expect(findLead(db, lead.id)!.pending_choices).toBeNull();
  });

  it("leaves out undefined values instead of writing them", () => {
    const lead = newLead("Beto");
    const updated = updateLeadRow(db, lead.id, { name: undefined, email: "beto@example.com" });
    expect(updated).toMatchObject({ name: "Beto", email: "beto@example.com" });
  });

  it("run inside the open transaction: a rollback takes their writes back", () => {
    const lead = newLead("Carla");
    const message = insertMessage(db, { lead_id: lead.id, direction: "outbound", channel: "whatsapp", text: "Hola", at });
    expect(() =>
      db.transaction((tx) => {
        markMessageSent(tx, message.id, "SM123", "sent", at);
        expect(findMessageByExternalId(tx, "whatsapp", "SM123")?.id).toBe(message.id);
        throw new Error("refused");
      }),
    ).toThrow("refused");
    expect(findMessageByExternalId(db, "whatsapp", "SM123")).toBeUndefined();
  });

  it("are kept per database: another database gets queries of its own", () => {
    newLead("Dora");
    const other = openDatabase(":memory:");
    migrateDatabase(other);
    try {
      expect(findLead(other, 1)).toBeUndefined();
      expect(findLead(db, 1)?.name).toBe("Dora");
    } finally {
      other.$client.close();
    }
  });
});
