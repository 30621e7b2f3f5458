/** Google Calendar when credentials are configured (service account or OAuth), else the local calendar. */
import { existsSync, readFileSync } from "node:fs";
import type { Database } from "../../db/database";
import type { AppConfig } from "../config";
import { ConfigError } from "../config";
import type { CalendarPort } from "./calendar-port";
import { createGoogleCalendar, type GoogleAuthConfig } from "./google-calendar";
import { createLocalCalendar } from "./local-calendar";
import { serviceAccountKeySchema } from "./google-calendar-responses";

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function googleAuth(config: AppConfig): GoogleAuthConfig | null {
  if (config.GOOGLE_SERVICE_ACCOUNT_KEY) {
    const raw = config.GOOGLE_SERVICE_ACCOUNT_KEY.trim();
    const text = raw.startsWith("{") ? raw : existsSync(raw) ? readFileSync(raw, "utf8") : raw;
    const key = serviceAccountKeySchema.safeParse(parseJsonOrNull(text));
    if (!key.success) throw new ConfigError(["GOOGLE_SERVICE_ACCOUNT_KEY: no es una clave JSON de cuenta de servicio (client_email, private_key)"]);
    return { kind: "service_account", clientEmail: key.data.client_email, privateKey: key.data.private_key };
  }
  if (config.GOOGLE_CLIENT_ID && config.GOOGLE_CLIENT_SECRET && config.GOOGLE_REFRESH_TOKEN) {
    return {
      kind: "oauth",
      clientId: config.GOOGLE_CLIENT_ID,
      clientSecret: config.GOOGLE_CLIENT_SECRET,
      refreshToken: config.GOOGLE_REFRESH_TOKEN,
      tokenUrl: config.GOOGLE_OAUTH_TOKEN_URL,
    };
  }
  return null;
}

export function chooseCalendar(config: AppConfig, db: Database): CalendarPort {
  const auth = googleAuth(config);
  return auth
    ? createGoogleCalendar({ calendarId: config.GOOGLE_CALENDAR_ID, rootUrl: config.GOOGLE_API_ROOT, timeZone: config.TZ, auth })
    : createLocalCalendar(db);
}
