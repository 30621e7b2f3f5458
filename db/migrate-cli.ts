/**
 * `npm run db:migrate`: applies pending migrations to DATABASE_URL and exits:
 * a SQLite file (db/migrations), or a postgres:// URL (db/migrations-pg).
 */
import { config as loadDotenv } from "dotenv";
import { loadConfig } from "../src/config";
import { migrateDatabase, openDatabase } from "./client";
import { openPostgresDatabase } from "./database";

/** The URL as it may be printed: its password hidden. */
function printable(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "****";
  return parsed.toString();
}

loadDotenv({ quiet: true });
const url = process.env.DATABASE_URL ?? "";
if (/^postgres(ql)?:\/\//i.test(url)) {
  // Opening the database applies its migrations; one connection is all that takes.
  const database = await openPostgresDatabase(url, { maxConnections: 1 });
  await database.close();
  console.log(`Migraciones de PostgreSQL aplicadas a ${printable(url)}`);
} else {
  const config = loadConfig();
  const db = openDatabase(config.DATABASE_URL);
  migrateDatabase(db);
  db.$client.close();
  console.log(`Migraciones aplicadas a ${config.DATABASE_URL}`);
}
