/**
 * Google Calendar through the official googleapis client: free/busy for the
 * agency calendar, and events with a Google Meet link
 * (conferenceData.createRequest with conferenceDataVersion=1), each under an
 * id of ours, so an insert whose answer was lost is found instead of repeated.
 * Auth: a service account key (self-signed JWT access, no token round trip)
 * or an OAuth refresh token (exchanged at GOOGLE_OAUTH_TOKEN_URL).
 */
import { JWT, OAuth2Client } from "google-auth-library";
// Only the Calendar API: the googleapis index loads every Google API (~0.5 s at start).
import { calendar_v3 } from "googleapis/build/src/apis/calendar";
import type { CalendarPort, CreatedEvent } from "./calendar-port";
import { freeBusyCalendarSchema, insertedEventSchema } from "./google-calendar-responses";

export const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar";

export type GoogleAuthConfig =
  | { kind: "service_account"; clientEmail: string; privateKey: string }
  | { kind: "oauth"; clientId: string; clientSecret: string; refreshToken: string; tokenUrl: string };

export interface GoogleCalendarOptions {
  calendarId: string;
  /** The API base, "https://www.googleapis.com/" in production. */
  rootUrl: string;
  timeZone: string;
  auth: GoogleAuthConfig;
}

function createAuth(auth: GoogleAuthConfig): JWT | OAuth2Client {
  if (auth.kind === "service_account") {
    const jwt = new JWT({ email: auth.clientEmail, key: auth.privateKey, scopes: [CALENDAR_SCOPE] });
    // A self-signed JWT is the access token (as Google recommends for service accounts): no token endpoint needed.
    jwt.useJWTAccessWithScope = true;
    return jwt;
  }
  const client = new OAuth2Client({ clientId: auth.clientId, clientSecret: auth.clientSecret, endpoints: { oauth2TokenUrl: auth.tokenUrl } });
  client.setCredentials({ refresh_token: auth.refreshToken });
  return client;
}

export function createGoogleCalendar(options: GoogleCalendarOptions): CalendarPort {
  const api = new calendar_v3.Calendar({ auth: createAuth(options.auth), rootUrl: options.rootUrl });
  return {
    kind: "google",
    async busy(from, to) {
      const { data } = await api.freebusy.query({
        requestBody: { timeMin: from.toISOString(), timeMax: to.toISOString(), timeZone: options.timeZone, items: [{ id: options.calendarId }] },
      });
      const calendar = freeBusyCalendarSchema.safeParse(data.calendars?.[options.calendarId] ?? {});
      // An answer we cannot read is an outage for the caller (the chat says so), never a guess at free time.
      if (!calendar.success) throw new Error("Google Calendar: respuesta de free/busy ilegible");
      if (calendar.data.errors?.length) throw new Error(`Google Calendar: ${calendar.data.errors.map((e) => e.reason).join(", ")}`);
      return calendar.data.busy.map((b) => ({ start: new Date(b.start), end: new Date(b.end) }));
    },
    /**
     * Inserts the event under our id. When the answer may have been lost (no answer, or a 5xx), the
     * event is first looked for by that id, and inserted again only when it is not there; a 409
     * then means the first insert landed meanwhile, and it is read.
     */
    async createEvent(request) {
      const insert = async () => {
        const { data } = await api.events.insert({
          calendarId: options.calendarId,
          conferenceDataVersion: 1,
          requestBody: {
            id: request.eventId,
            summary: request.summary,
            description: request.description,
            start: { dateTime: request.start.toISOString(), timeZone: options.timeZone },
            end: { dateTime: request.end.toISOString(), timeZone: options.timeZone },
            conferenceData: { createRequest: { requestId: request.requestId, conferenceSolutionKey: { type: "hangoutsMeet" } } },
          },
        });
        return createdEvent(data, request.eventId);
      };
      const find = async (): Promise<CreatedEvent | null> => {
        try {
          const { data } = await api.events.get({ calendarId: options.calendarId, eventId: request.eventId });
          return createdEvent(data, request.eventId);
        } catch (error) {
          if (httpStatusOf(error) === 404) return null;
          throw error;
        }
      };
      try {
        return await insert();
      } catch (error) {
        if (!answerMayBeLost(error)) throw error;
        const made = await find();
        if (made) return made;
        try {
          return await insert();
        } catch (again) {
          const madeMeanwhile = httpStatusOf(again) === 409 ? await find() : null;
          if (madeMeanwhile) return madeMeanwhile;
          throw again;
        }
      }
    },

    async removeEvent(eventId) {
      try {
        await api.events.delete({ calendarId: options.calendarId, eventId, sendUpdates: "none" });
        return "removed";
      } catch (error) {
        // 404: never made; 410: deleted before.
        const status = httpStatusOf(error);
        if (status === 404 || status === 410) return "absent";
        throw error;
      }
    },
  };
}

/** The event as Google answered it; an unreadable answer keeps our id and no link (the event exists once Google answered). */
function createdEvent(data: unknown, eventId: string): CreatedEvent {
  const event = insertedEventSchema.safeParse(data);
  if (!event.success) return { eventId, meetLink: null };
  const video = event.data.conferenceData?.entryPoints?.find((entry) => entry.entryPointType === "video")?.uri;
  return { eventId: event.data.id ?? eventId, meetLink: event.data.hangoutLink ?? video ?? null };
}

/** The HTTP status Google answered with (googleapis' GaxiosError), or null when no answer came. */
function httpStatusOf(error: unknown): number | null {
  const status = (error as { response?: { status?: unknown } } | null)?.response?.status;
  return typeof status === "number" ? status : null;
}

/** No answer (a cut connection, a timeout) or a server error: the insert may have been made. */
function answerMayBeLost(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === null || status >= 500;
}
