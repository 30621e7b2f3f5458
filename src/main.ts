/** Start-up: config → database → services → HTTP → listen. Wiring only. */
import type { AddressInfo } from "node:net";
import { ConfigError, loadConfig, type AppConfig } from "./config";
import { buildProspecta } from "./prospecta";
import { startUpNote } from "./start-up-note";

function readConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfigOrExit();
// Live audio runs in a child process of this one (VOICE_AUDIO_PROCESS); tests that build the product inside their own process do not ask for it.
const prospecta = await buildProspecta(config, { audioProcess: true });
const { app, logger, adminToken } = prospecta;

if (adminToken.generated) {
  // Printed straight to the terminal, once, never through the logger: logs must not carry secrets.
  const where = adminToken.file ? `Guardado en ${adminToken.file}.` : "Base en memoria: cambiará al reiniciar.";
  process.stdout.write(`\nToken de administrador generado (ADMIN_API_TOKEN): ${adminToken.token}\n${where}\n\n`);
}
if (prospecta.seeded) logger.info("sample templates and the draft campaign \"Bienvenida Leads Nuevos\" created");

// Last line of defence: every dispatch has its own guard, so this only catches a promise a bug
// left unawaited. Node would end the process (and every live call) for it; we log and count it.
process.on("unhandledRejection", (reason) => prospecta.guard.failed("unhandled_rejection", {}, reason));

const SHUTDOWN_LIMIT_MS = 10_000;
const shutdown = async (signal: string) => {
  logger.info({ signal }, "shutting down");
  // Whatever is still running after the limit is cut: a claimed step is flagged for review on the next start.
  setTimeout(() => {
    logger.error("shutdown took too long; exiting");
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS).unref();
  await prospecta.close();
  process.exit(0);
};
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));

// Webhooks come in bursts of new connections (Twilio's status callbacks, a campaign's replies) while a turn
// holds the event loop; with Node's default queue of 511, the kernel drops the rest and each sender waits
// seconds to retry its connection. The kernel caps this at net.core.somaxconn.
const ACCEPT_QUEUE = 4096;
await app.listen({ port: config.PORT, host: config.HOST, backlog: ACCEPT_QUEUE });
await prospecta.startScheduler();
const botMode = await prospecta.startBot();
if (botMode) logger.info({ mode: botMode }, "Telegram bot started");
logger.info(
  { roles: [...prospecta.roles], ...(prospecta.roles.has("api") && { docs: "/docs", openapi: "/api/v1/openapi.json" }) },
  "Prospecta listening",
);
// Where to go next, for whoever started it: on the terminal, whatever LOG_LEVEL says.
const dashboard = app.hasRoute({ method: "GET", url: "/admin" }) || app.hasRoute({ method: "GET", url: "/admin/" });
process.stdout.write(
  startUpNote({
    host: config.HOST,
    port: (app.server.address() as AddressInfo).port,
    api: prospecta.roles.has("api"),
    dashboard,
    dashboardWithoutAccounts: dashboard && !(await prospecta.services.accounts.hasAccounts()),
    tokenFile: adminToken.file,
    tokenGenerated: adminToken.generated,
    cwd: process.cwd(),
  }),
);
