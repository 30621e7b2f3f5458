/**
 * Every environment variable the product reads, parsed once at start with zod.
 * A bad value stops start-up with a message naming the variable.
 */
import { config as loadDotenv } from "dotenv";
import { Cron } from "croner";
import { z } from "zod";
import { isValidEmail, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./domain/accounts";

const port = z.coerce.number().int().min(0).max(65535);

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value ? value : undefined));

/** "HH:MM-HH:MM", or empty to turn quiet hours off. */
const quietHours = z
  .string()
  .regex(/^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, { message: 'formato HH:MM-HH:MM (p. ej. 21:00-09:00), o vacío para desactivar' });

/** "123, 456": Telegram user ids. */
const idList = z
  .string()
  .regex(/^\s*(-?\d+\s*(,\s*-?\d+\s*)*)?$/, { message: "lista de ids numéricos de Telegram separados por comas" })
  .transform((value) => value.split(",").map((id) => id.trim()).filter(Boolean).map(Number));

const cronPattern = z.string().refine(isValidCron, { message: "no es una expresión cron válida" });

/** What one process does; `npm start` does all of it. */
export const ROLES = ["api", "bot", "worker", "voice"] as const;
export type Role = (typeof ROLES)[number];

/** "api,bot": the roles of this process, each named once. */
const roleList = z
  .string()
  .transform((value) => value.split(",").map((role) => role.trim()).filter(Boolean))
  .pipe(z.array(z.enum(ROLES, { message: `roles válidos: ${ROLES.join(", ")}` })).min(1, { message: "al menos un rol" }))
  .transform((roles) => [...new Set(roles)]);

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
  /** A second token for GET /metrics only, so a Prometheus server needs no admin rights. */
  METRICS_TOKEN: z.string().min(16, { message: "debe tener al menos 16 caracteres" }).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * What this process does (comma-separated): api (the admin API and its docs), bot (Telegram and
   * WhatsApp chats), worker (scheduled jobs: campaign steps, reminders, retries), voice (Twilio's call
   * webhooks and Media Streams). Every process answers /healthz, /readyz and /metrics.
   */
  PROSPECTA_ROLES: roleList.default([...ROLES]),

  // Telegram (grammY's API client). No token: campaign messages are logged as skipped.
  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_ROOT: z.url({ message: "debe ser una URL, p. ej. https://api.telegram.org" }).default("https://api.telegram.org"),
  TELEGRAM_MAX_PER_SECOND: z.coerce.number().int().min(0, { message: "0 quita el límite" }).default(30),
  TELEGRAM_WEBHOOK_URL: z.url({ message: "debe ser la URL pública https del webhook" }).optional().or(z.literal("").transform(() => undefined)),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, { message: "1 a 256 caracteres A-Z, a-z, 0-9, _ o -" })
    .optional()
    .or(z.literal("").transform(() => undefined)),
  TELEGRAM_ADMIN_IDS: idList.default([]),
  TELEGRAM_ADMIN_CHAT_ID: z.coerce.number().int().optional().or(z.literal("").transform(() => undefined)),

  // Agents. No key (or LLM_PROVIDER=offline): the offline agent answers.
  LLM_PROVIDER: z.enum(["openai", "offline"]).optional(),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.url({ message: "debe ser una URL, p. ej. https://api.openai.com/v1" }).default("https://api.openai.com/v1"),
  OPENAI_MODEL: z.string().min(1).default("gpt-4o-mini"),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(500).default(15_000),
  AGENCY_NAME: z.string().min(1).default("la inmobiliaria"),

  // Google Calendar. No credentials: a local calendar, no Meet link.
  GOOGLE_CALENDAR_ID: z.string().min(1).default("primary"),
  GOOGLE_SERVICE_ACCOUNT_KEY: optionalString.describe("JSON key of a service account (its content, or a path to the file)"),
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  GOOGLE_REFRESH_TOKEN: optionalString,
  GOOGLE_API_ROOT: z.url().default("https://www.googleapis.com/"),
  GOOGLE_OAUTH_TOKEN_URL: z.url().default("https://oauth2.googleapis.com/token"),

  // Voice (the guide's names). No provider: /calls/initiate answers 503.
  VOICE_PROVIDER: z.enum(["twilio", "none"]).default("none"),
  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_PHONE_NUMBER: optionalString,
  WEBHOOK_BASE_URL: z.url({ message: "debe ser la URL pública https del servidor" }).optional().or(z.literal("").transform(() => undefined)),
  TWILIO_API_BASE: z.url().optional().or(z.literal("").transform(() => undefined)),
  OPENAI_REALTIME_URL: z.url().default("wss://api.openai.com/v1/realtime"),
  OPENAI_REALTIME_MODEL: z.string().min(1).default("gpt-realtime"),
  OPENAI_REALTIME_VOICE: z.string().min(1).default("marin"),
  MAX_CONCURRENT_CALLS: z.coerce.number().int().min(1).default(20),
  CALL_MAX_MINUTES: z.coerce.number().positive().default(10),
  /**
   * Live call audio in a process of its own, forked by `npm start` (voice/audio-host.ts), so that no API
   * request, campaign send or database wait on the main process delays a call's audio. false: in the main process.
   */
  VOICE_AUDIO_PROCESS: z.stringbool({ error: "true o false" }).default(true),
  /**
   * The audio process's scheduling priority (nice, -20 to 19; lower goes first). When the
   * machine's cores are all busy, an audio frame that arrives waits for a core like any other
   * work; ahead of the product's main process and the database it waits less (bench:voice with
   * neighbours, its measuring process at the same priority: p99 added latency 13–16 -> 8 ms).
   * Below 0 needs root or CAP_SYS_NICE; without it the audio process stays at the product's
   * priority and logs a warning.
   */
  VOICE_AUDIO_NICE: z.coerce.number().int().min(-20).max(19).default(-10),
  /**
   * The audio process's real-time priority (SCHED_RR, 1 to 99), asked for before the nice: a
   * frame that arrives runs at once, ahead of every ordinary thread on the machine, the
   * database's included (bench:voice on PostgreSQL with neighbours, its measuring process on
   * real-time scheduling too: p99 added latency 10–12 ms with the nice alone, 1.2 ms with it).
   * The kernel keeps 5% of each second for ordinary threads. Needs root or CAP_SYS_NICE, and util-linux's chrt;
   * without them the process keeps VOICE_AUDIO_NICE and logs a warning. 0: the nice alone.
   */
  VOICE_AUDIO_REALTIME_PRIORITY: z.coerce.number().int().min(0).max(99).default(10),

  // WhatsApp through Twilio. No provider: WhatsApp is off.
  WHATSAPP_PROVIDER: z.enum(["twilio", "none"]).default("none"),
  /** The WhatsApp sender: "+5215550001111" or "whatsapp:+5215550001111"; kept as Twilio's "whatsapp:+…" address. */
  TWILIO_WHATSAPP_NUMBER: z
    .string()
    .regex(/^(whatsapp:)?\+[1-9]\d{7,14}$/, { message: "número E.164, p. ej. +5215550001111 o whatsapp:+5215550001111" })
    .transform((value) => (value.startsWith("whatsapp:") ? value : `whatsapp:${value}`))
    .optional()
    .or(z.literal("").transform(() => undefined)),

  /** Approved WhatsApp template for appointment reminders outside the 24-hour window: {{1}} first name, {{2}} date, {{3}} link. */
  WHATSAPP_REMINDER_CONTENT_SID: z
    .string()
    .regex(/^HX[0-9a-fA-F]{32}$/, { message: "SID de contenido de Twilio (HX seguido de 32 caracteres hexadecimales)" })
    .optional()
    .or(z.literal("").transform(() => undefined)),

  // Campaigns
  QUIET_HOURS: quietHours.default("21:00-09:00"),
  CAMPAIGN_CRON: cronPattern.default("0 * * * *"),
  CAMPAIGN_RUNNER_CRON: cronPattern.default("* * * * *"),
  CAMPAIGN_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(128),
  CAMPAIGN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  CAMPAIGN_STEP_LEASE_SECONDS: z.coerce.number().min(1).default(600),

  // Several instances on one database
  /** How long an instance holds work only one may do (Telegram long polling) without renewing it: a dead holder's work moves within this. */
  INSTANCE_LEASE_SECONDS: z.coerce.number().min(1).max(300).default(15),
  /** Connections each instance opens to PostgreSQL (unused on SQLite). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(10),

  // Dashboard (/admin). Both or neither: the first admin, created once per database by a process
  // with the api role; later changes to these create or reset no one. Messages never echo the value.
  DASHBOARD_ADMIN_EMAIL: z
    .string()
    .trim()
    .refine(isValidEmail, { message: "debe ser un correo válido (p. ej. admin@agencia.mx)" })
    .optional(),
  DASHBOARD_ADMIN_PASSWORD: z
    .string()
    // Characters as a person counts them (code points), as the account rules do.
    .refine((value) => [...value].length >= PASSWORD_MIN_LENGTH, { message: `debe tener al menos ${PASSWORD_MIN_LENGTH} caracteres` })
    .refine((value) => [...value].length <= PASSWORD_MAX_LENGTH, { message: `debe tener como máximo ${PASSWORD_MAX_LENGTH} caracteres` })
    .optional(),
  /** How often an instance reads what changed for the dashboard's live updates, only while someone has it open. */
  DASHBOARD_LIVE_POLL_MS: z.coerce
    .number({ message: "debe ser un número de milisegundos" })
    .int({ message: "debe ser un número entero de milisegundos" })
    .min(50, { message: "al menos 50 ms" })
    .max(60_000, { message: "como máximo 60000 ms (un minuto)" })
    .default(1000),
  /**
   * Behind a reverse proxy (TLS ends there): which proxies to believe about the client's address and
   * protocol (X-Forwarded-For / -Proto). `true` (any: only when nothing but the proxy can reach the
   * port), or the proxies' addresses or ranges, comma-separated (e.g. `127.0.0.1,10.0.0.0/8`). It gives the dashboard's cookie its Secure flag and the sign-in
   * throttle each person's own address instead of the proxy's.
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value): boolean | string => {
      const text = value?.trim() ?? "";
      if (text === "" || text === "false") return false;
      return text === "true" ? true : text;
    }),
});

export type AppConfig = z.infer<typeof configSchema>;

/** DATABASE_URL names a PostgreSQL server (postgres:// or postgresql://); anything else is a SQLite file. */
export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}

/** Rules across variables, each problem naming the variable. */
function crossChecks(config: AppConfig): string[] {
  const problems: string[] = [];
  // A URL would otherwise be taken as a file name, and a SQLite file created under a folder called "https:".
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(config.DATABASE_URL) && !isPostgresUrl(config.DATABASE_URL)) {
    problems.push("DATABASE_URL: debe ser la ruta de un archivo SQLite (p. ej. ./data/prospecta.db), :memory: o una URL postgres://");
  } else if (isPostgresUrl(config.DATABASE_URL) && !URL.canParse(config.DATABASE_URL)) {
    problems.push("DATABASE_URL: la URL de PostgreSQL no es válida (p. ej. postgres://usuario:clave@host:5432/prospecta)");
  }
  // A token generated at start-up is kept in a file beside the database; instances sharing a
  // PostgreSQL server have no such place in common, and would each accept a different token.
  if (isPostgresUrl(config.DATABASE_URL) && !config.ADMIN_API_TOKEN) {
    problems.push("ADMIN_API_TOKEN: obligatorio con PostgreSQL (todas las instancias deben aceptar el mismo token)");
  }
  if (config.LLM_PROVIDER === "openai" && !config.OPENAI_API_KEY) {
    problems.push("OPENAI_API_KEY: obligatorio con LLM_PROVIDER=openai");
  }
  const oauth = [config.GOOGLE_CLIENT_ID, config.GOOGLE_CLIENT_SECRET, config.GOOGLE_REFRESH_TOKEN];
  if (oauth.some(Boolean) && !oauth.every(Boolean)) {
    problems.push("GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN: se necesitan los tres para OAuth");
  }
  if (config.VOICE_PROVIDER === "twilio") {
    for (const name of ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER", "WEBHOOK_BASE_URL"] as const) {
      if (!config[name]) problems.push(`${name}: obligatorio con VOICE_PROVIDER=twilio`);
    }
  }
  if (config.WHATSAPP_PROVIDER === "twilio") {
    for (const name of ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_NUMBER", "WEBHOOK_BASE_URL"] as const) {
      if (!config[name]) problems.push(`${name}: obligatorio con WHATSAPP_PROVIDER=twilio`);
    }
  }
  if (Boolean(config.DASHBOARD_ADMIN_EMAIL) !== Boolean(config.DASHBOARD_ADMIN_PASSWORD)) {
    const missing = config.DASHBOARD_ADMIN_EMAIL ? "DASHBOARD_ADMIN_PASSWORD" : "DASHBOARD_ADMIN_EMAIL";
    problems.push(`${missing}: se necesitan DASHBOARD_ADMIN_EMAIL y DASHBOARD_ADMIN_PASSWORD juntos para crear el primer administrador`);
  }
  if (config.TELEGRAM_WEBHOOK_URL && !config.TELEGRAM_WEBHOOK_SECRET) {
    problems.push("TELEGRAM_WEBHOOK_SECRET: obligatorio cuando TELEGRAM_WEBHOOK_URL está definido");
  }
  return problems;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuración inválida:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses `env` (by default process.env after loading `.env`); throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = readProcessEnv()): AppConfig {
  const parsed = configSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const problems = crossChecks(parsed.data);
  if (problems.length) throw new ConfigError(problems);
  return parsed.data;
}

/** Variables whose empty value means something; any other empty variable counts as unset (as in .env.example). */
const EMPTY_MEANS_OFF = new Set(["QUIET_HOURS"]);

function withoutEmptyValues(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key, value]) => value !== "" || EMPTY_MEANS_OFF.has(key)));
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

function isValidCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}
