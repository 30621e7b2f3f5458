/** `npm run db:migrate`: applies pending migrations to DATABASE_URL and exits. */
import { loadConfig } from "../src/config";
import { migrateDatabase, openDatabase } from "./client";

const config = loadConfig();
const db = openDatabase(config.DATABASE_URL);
migrateDatabase(db);
db.$client.close();
console.log(`Migraciones aplicadas a ${config.DATABASE_URL}`);
