/**
 * The admin API token: ADMIN_API_TOKEN if set, else one generated at first
 * start and kept in the data directory so it survives restarts.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface AdminToken {
  token: string;
  /** True when it was generated now: the caller shows it once. */
  generated: boolean;
  file: string | null;
}

export function resolveAdminToken(configured: string | undefined, dataDir: string, persist: boolean): AdminToken {
  if (configured) return { token: configured, generated: false, file: null };
  const file = join(dataDir, "admin-token");
  if (persist && existsSync(file)) {
    const stored = readFileSync(file, "utf8").trim();
    if (stored) return { token: stored, generated: false, file };
  }
  const token = randomBytes(24).toString("base64url");
  if (persist) writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, file: persist ? file : null };
}
