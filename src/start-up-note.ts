/**
 * What `npm start` prints once it listens: where the admin goes next. Plain
 * Spanish lines on the terminal, for the person who started it; the token
 * itself never appears here (main.ts shows a generated one once, above).
 */
import { relative } from "node:path";

export interface StartUpNoteInput {
  /** HOST as configured: 0.0.0.0 and :: listen everywhere, and are reached at localhost from this machine. */
  host: string;
  port: number;
  /** The process serves the admin API and its documents (the api role). */
  api: boolean;
  /** The admin dashboard is mounted at /admin. */
  dashboard: boolean;
  /** No one can sign in to it yet: no account exists (DASHBOARD_ADMIN_EMAIL and DASHBOARD_ADMIN_PASSWORD create the first). */
  dashboardWithoutAccounts?: boolean;
  /** Where the admin token is kept; null when it comes from ADMIN_API_TOKEN (or lives only in memory). */
  tokenFile: string | null;
  tokenGenerated: boolean;
  cwd: string;
}

export function startUpNote(input: StartUpNoteInput): string {
  const host = input.host === "0.0.0.0" || input.host === "::" ? "localhost" : input.host.includes(":") ? `[${input.host}]` : input.host;
  const base = `http://${host}:${input.port}`;
  const lines = [`Prospecta escucha en ${base}`];
  if (input.api) {
    lines.push(`  Documentación de la API: ${base}/docs`);
    if (input.dashboard) {
      lines.push(`  Panel de administración: ${base}/admin`);
      if (input.dashboardWithoutAccounts) lines.push("    Aún no hay usuarios: define DASHBOARD_ADMIN_EMAIL y DASHBOARD_ADMIN_PASSWORD y reinicia para crear el primer administrador");
    }
    lines.push(`  Token de administrador: ${tokenSource(input)}`);
  }
  return `${lines.join("\n")}\n`;
}

function tokenSource({ tokenFile, tokenGenerated, cwd }: StartUpNoteInput): string {
  if (tokenFile) {
    const shown = relative(cwd, tokenFile);
    return `en ${shown.startsWith("..") ? tokenFile : shown}`;
  }
  return tokenGenerated ? "el generado arriba (base en memoria: cambiará al reiniciar)" : "el de ADMIN_API_TOKEN";
}
