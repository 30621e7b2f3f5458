/**
 * pino, with secrets and personal data kept out: tokens and keys are redacted,
 * phone numbers are masked wherever they appear in a logged object.
 */
import pino, { type Logger } from "pino";

export type { Logger };

const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-telegram-bot-api-secret-token"]',
  "*.token",
  "*.apiKey",
  "*.api_key",
  "*.authToken",
  "*.password",
  "*.secret",
  "*.email",
];

// A "+" followed by digits (E.164, maybe spaced), or a bare run of 10–15 digits; dates and ids stay readable.
const BOT_TOKEN_IN_TEXT = /bot\d{5,}:[A-Za-z0-9_-]{10,}/g;
const API_KEY_IN_TEXT = /sk-[A-Za-z0-9_-]{10,}/g;

const PHONE_PATTERN = /\+\d[\d\s().-]{6,}\d|\b\d{10,15}\b/g;

/** Keeps the country code and the last two digits: "+5215512345678" → "+52*********78". */
export function maskPhone(value: string): string {
  return value.replace(PHONE_PATTERN, (match) => {
    const digits = match.replace(/\D/g, "");
    if (digits.length < 8) return match;
    return `+${digits.slice(0, 2)}${"*".repeat(digits.length - 4)}${digits.slice(-2)}`;
  });
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      serializers: { req: serializeRequest },
      formatters: {
        log: (object) => maskPhonesDeep(object) as Record<string, unknown>,
      },
      hooks: {
        // Last line of defence, on the final JSON: secrets inside error messages and
        // causes (e.g. a Bot API URL with the token in a network error) are cut.
        streamWrite: (line) => line.replace(BOT_TOKEN_IN_TEXT, "bot[redacted]").replace(API_KEY_IN_TEXT, "sk-[redacted]"),
        logMethod(args, method) {
          const masked = args.map((arg) => (typeof arg === "string" ? maskPhone(arg) : arg));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** Method and path only (no headers), with the query decoded so "%2B52…" is masked like "+52…". */
function serializeRequest(req: { method?: string; url?: string; id?: string }) {
  let url = req.url ?? "";
  try {
    url = decodeURIComponent(url);
  } catch {
    // keep the raw URL when it is not valid percent-encoding
  }
  return { method: req.method, url: maskPhone(url) };
}

function maskPhonesDeep(value: unknown, depth = 0): unknown {
  if (depth > 6) return value;
  if (typeof value === "string") return maskPhone(value);
  if (Array.isArray(value)) return value.map((item) => maskPhonesDeep(item, depth + 1));
  // Only plain objects: pino's serializers (req, res, err) still need the real instances.
  if (value && typeof value === "object" && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = maskPhonesDeep(item, depth + 1);
    return out;
  }
  return value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A zod error as logs may carry it: issue paths and codes only, never the values (they hold messages, phones, audio). */
export function issuePaths(error: { issues: readonly { path: readonly PropertyKey[]; code: string }[] }): string[] {
  return error.issues.slice(0, 5).map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.code}`);
}
