/**
 * Builds the whole product from a config: database, services, HTTP app.
 * main.ts listens; tests build the same thing on a temporary database.
 */
import { dataDirectory, isInMemory, migrateDatabase, openDatabase } from "../db/client";
import { resolveAdminToken } from "./admin-token";
import { buildApp } from "./api/app";
import { systemClock, type Clock } from "./clock";
import type { AppConfig } from "./config";
import { createLogger, type Logger } from "./logger";
import { seedSampleDataOnce } from "./sample-data";
import { createServices } from "./services";

export interface BuildOptions {
  clock?: Clock;
  logger?: Logger;
  seedSamples?: boolean;
}

export async function buildProspecta(config: AppConfig, options: BuildOptions = {}) {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const db = openDatabase(config.DATABASE_URL);
  migrateDatabase(db);
  const services = createServices({ db, clock, timeZone: config.TZ });
  const seeded = options.seedSamples === false ? false : seedSampleDataOnce(db, services, clock.now());
  const adminToken = resolveAdminToken(config.ADMIN_API_TOKEN, dataDirectory(config.DATABASE_URL), !isInMemory(config.DATABASE_URL));
  const app = await buildApp({ services, adminToken: adminToken.token, logger });

  return {
    app,
    db,
    services,
    clock,
    logger,
    adminToken,
    seeded,
    async close() {
      await app.close();
      db.$client.close();
    },
  };
}

export type Prospecta = Awaited<ReturnType<typeof buildProspecta>>;
