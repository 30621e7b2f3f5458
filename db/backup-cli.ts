/** `npm run db:backup [-- <destination>]`: copies DATABASE_URL to ./backups/prospecta-<time>.db (or the given path). */
import { resolve } from "node:path";
import { isPostgresUrl, loadConfig } from "../src/config";
import { backupDatabase } from "./backup";

const config = loadConfig();
if (config.DATABASE_URL === ":memory:") {
  console.error("DATABASE_URL=:memory: no tiene archivo que respaldar.");
  process.exit(2);
}
if (isPostgresUrl(config.DATABASE_URL)) {
  // PostgreSQL has its own consistent online backup; a second, weaker one here would only mislead.
  console.error("DATABASE_URL es PostgreSQL: respáldalo con pg_dump (p. ej. pg_dump -Fc -f prospecta.dump \"$DATABASE_URL\").");
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const destination = resolve(process.argv[2] ?? `./backups/prospecta-${stamp}.db`);
const { pages } = await backupDatabase(config.DATABASE_URL, destination);
console.log(`Respaldo listo: ${destination} (${pages} páginas)`);
