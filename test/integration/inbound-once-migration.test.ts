/**
 * Migration 0010 on a database written before it: Telegram inbound ids gain
 * their chat ("<chat>:<message>", since message ids count per chat), a message
 * stored twice keeps its id on the first copy only, and the unique index then
 * holds.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "prospecta-migration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The migrations folder as it was up to (and including) migration `last`. */
function migrationsUpTo(last: string): string {
  const folder = join(dir, `migrations-${last}`);
  cpSync(resolve("db/migrations"), folder, { recursive: true });
  const journalFile = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  const index = journal.entries.findIndex((entry) => entry.tag === last);
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, index + 1) }));
  return folder;
}

describe("migration 0010 (inbound messages once)", () => {
  it("rewrites Telegram ids with their chat and clears the ids of messages stored twice", () => {
    const sqlite = new Database(join(dir, "old.db"));
    const db = drizzle(sqlite);
    migrate(db, { migrationsFolder: migrationsUpTo("0009_lead_search") });
    const now = Date.now();
    const lead = sqlite.prepare("INSERT INTO leads (name, telegram_chat_id, stage_changed_at, last_activity_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
    const ana = Number(lead.run("Ana", 111, now, now, now, now).lastInsertRowid);
    const beto = Number(lead.run("Beto", 222, now, now, now, now).lastInsertRowid);
    const message = sqlite.prepare("INSERT INTO messages (lead_id, direction, channel, text, external_id, at) VALUES (?, ?, ?, ?, ?, ?)");
    message.run(ana, "inbound", "telegram", "Hola", "1", now);
    message.run(beto, "inbound", "telegram", "Buenas", "1", now); // the same message id in another chat
    message.run(ana, "inbound", "telegram", "Busco casa", "2", now);
    message.run(ana, "inbound", "telegram", "Busco casa", "2", now + 1); // a resent webhook, handled twice back then
    message.run(ana, "outbound", "telegram", "¡Hola Ana!", "3", now); // our own messages keep their ids
    message.run(ana, "inbound", "whatsapp", "Hola", "SMaaa", now);

    migrate(db, { migrationsFolder: resolve("db/migrations") });
    expect(sqlite.prepare("SELECT direction, channel, text, external_id FROM messages ORDER BY id").all()).toEqual([
      { direction: "inbound", channel: "telegram", text: "Hola", external_id: "111:1" },
      { direction: "inbound", channel: "telegram", text: "Buenas", external_id: "222:1" },
      { direction: "inbound", channel: "telegram", text: "Busco casa", external_id: "111:2" },
      { direction: "inbound", channel: "telegram", text: "Busco casa", external_id: null },
      { direction: "outbound", channel: "telegram", text: "¡Hola Ana!", external_id: "3" },
      { direction: "inbound", channel: "whatsapp", text: "Hola", external_id: "SMaaa" },
    ]);
    expect(() => message.run(ana, "inbound", "telegram", "otra vez", "111:2", now)).toThrow(/UNIQUE/);
    sqlite.close();
  });
});
