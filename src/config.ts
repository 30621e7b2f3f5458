/**
 * Every environment variable the product reads, parsed once at start with zod.
 * A bad value stops start-up with a message naming the variable.
 */
import { config as loadDotenv } from "dotenv";
import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);

const timeZone = z.string().refine(isValidTimeZone, { message: "no es una zona horaria IANA válida (p. ej. America/Mexico_City)" });

export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: port.default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z.string().min(1).default("./data/prospecta.db"),
  ADMIN_API_TOKEN: z
    .string()
    .min(16, { message: "debe tener al menos 16 caracteres" })
    .optional()
    .or(z.literal("").transform(() => undefined)),
  TZ: timeZone.default("America/Mexico_City"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type AppConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuración inválida:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses `env` (by default process.env after loading `.env`); throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = readProcessEnv()): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  return parsed.data;
}

function readProcessEnv(): NodeJS.ProcessEnv {
  loadDotenv({ quiet: true });
  return process.env;
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
