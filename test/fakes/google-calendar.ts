/**
 * A local fake of the Google Calendar API v3 and Google's OAuth token endpoint,
 * over real HTTP, for the googleapis client pointed here by rootUrl.
 * - POST /token: OAuth refresh_token grant (form body) → {access_token, expires_in, scope, token_type}.
 * - POST /calendar/v3/freeBusy: {timeMin, timeMax, items[{id}]} → {kind, timeMin, timeMax, calendars{id: {busy[{start, end}]}}}.
 * - POST /calendar/v3/calendars/{id}/events?conferenceDataVersion=1: an Event resource; with
 *   conferenceData.createRequest it gets hangoutLink and conferenceData.entryPoints (video), the
 *   same conference for the same requestId. An `id` given by the client must be base32hex
 *   (a-v, 0-9), 5 to 1024 characters (400 "invalid" otherwise), and not taken (409 "duplicate").
 * - GET /calendar/v3/calendars/{id}/events/{eventId}: the Event resource (status "cancelled" once
 *   deleted, as Google keeps it), or 404 "notFound".
 * - DELETE /calendar/v3/calendars/{id}/events/{eventId}: 204 with no body; 410 "deleted" for an
 *   event deleted before, 404 "notFound" for none. A deleted event is no longer busy time, and its
 *   id stays taken (an insert under it is a 409).
 * Calendar calls need "Authorization: Bearer" with a token issued here, or a service-account
 * self-signed JWT (RS256) verified with the key pair's public key.
 */
import { createPublicKey, createVerify, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { asyncHandler, readBody, sendJson } from "./http";
import type { AddressInfo } from "node:net";

export interface FakeGoogleCalendarOptions {
  calendarId: string;
  oauth?: { clientId: string; clientSecret: string; refreshToken: string };
  serviceAccount?: { clientEmail: string; publicKeyPem: string };
}

export interface FakeEvent {
  id: string;
  summary: string;
  start: string;
  end: string;
  requestId: string | null;
  meetLink: string | null;
}

export interface FakeGoogleCalendar {
  rootUrl: string;
  tokenUrl: string;
  /** Busy times besides the events created here. */
  busy: { start: string; end: string }[];
  events: FakeEvent[];
  requests: { method: string; path: string; auth: "oauth" | "jwt" | "none" }[];
  /** While true, every Calendar call answers 503 (backendError), as Google does during an outage. */
  down: boolean;
  /** The next this many event inserts are made, and then their connection is cut before the answer (a lost answer). */
  loseInsertAnswers: number;
  /** While set, an event insert waits for it before being made (a slow calendar). */
  insertsWaitFor: Promise<void> | null;
  /** The ids of the events deleted, in order. */
  deleted: string[];
  close(): Promise<void>;
}

export async function startFakeGoogleCalendar(options: FakeGoogleCalendarOptions): Promise<FakeGoogleCalendar> {
  const issued = new Set<string>();
  const conferences = new Map<string, string>();
  const publicKey: KeyObject | null = options.serviceAccount ? createPublicKey(options.serviceAccount.publicKeyPem) : null;
  let counter = 0;

  const fake: FakeGoogleCalendar = {
    rootUrl: "",
    tokenUrl: "",
    busy: [],
    events: [],
    requests: [],
    down: false,
    loseInsertAnswers: 0,
    insertsWaitFor: null,
    deleted: [],
    close: async () => undefined,
  };
  const resources = new Map<string, Record<string, unknown>>();
  const googleError = (code: number, reason: string, message: string) => ({ error: { code, message, errors: [{ domain: "global", reason, message }] } });

  function authOf(req: IncomingMessage): "oauth" | "jwt" | "none" {
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (issued.has(token)) return "oauth";
    if (publicKey && options.serviceAccount && verifyJwt(token, publicKey, options.serviceAccount.clientEmail)) return "jwt";
    return "none";
  }

  const server = createServer(asyncHandler(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const body = await readBody(req);
    if (req.method === "POST" && url.pathname === "/token") {
      const form = new URLSearchParams(body);
      const o = options.oauth;
      if (!o || form.get("grant_type") !== "refresh_token" || form.get("client_id") !== o.clientId || form.get("client_secret") !== o.clientSecret || form.get("refresh_token") !== o.refreshToken) {
        return sendJson(res, 400, { error: "invalid_grant", error_description: "Bad Request" });
      }
      const token = `ya29.fake-${++counter}`;
      issued.add(token);
      return sendJson(res, 200, { access_token: token, expires_in: 3599, scope: "https://www.googleapis.com/auth/calendar", token_type: "Bearer" });
    }

    const auth = authOf(req);
    fake.requests.push({ method: req.method ?? "", path: url.pathname, auth });
    if (auth === "none") {
      return sendJson(res, 401, { error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } });
    }
    if (fake.down) {
      return sendJson(res, 503, { error: { code: 503, message: "The service is currently unavailable.", errors: [{ domain: "global", reason: "backendError", message: "Backend Error" }] } });
    }
    const json = body ? (JSON.parse(body) as Record<string, any>) : {};

    if (req.method === "POST" && url.pathname === "/calendar/v3/freeBusy") {
      const items = (json.items ?? []) as { id: string }[];
      const from = Date.parse(json.timeMin);
      const to = Date.parse(json.timeMax);
      const all = [...fake.busy, ...fake.events.map((e) => ({ start: e.start, end: e.end }))].filter(
        (b) => Date.parse(b.start) < to && Date.parse(b.end) > from,
      );
      const calendars = Object.fromEntries(
        items.map((item) => [item.id, item.id === options.calendarId ? { busy: all } : { busy: [], errors: [{ domain: "global", reason: "notFound" }] }]),
      );
      return sendJson(res, 200, { kind: "calendar#freeBusy", timeMin: json.timeMin, timeMax: json.timeMax, calendars });
    }

    const eventPath = /^\/calendar\/v3\/calendars\/([^/]+)\/events\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && eventPath) {
      const resource = decodeURIComponent(eventPath[1]!) === options.calendarId ? resources.get(decodeURIComponent(eventPath[2]!)) : undefined;
      return resource ? sendJson(res, 200, resource) : sendJson(res, 404, googleError(404, "notFound", "Not Found"));
    }
    if (req.method === "DELETE" && eventPath) {
      const id = decodeURIComponent(eventPath[2]!);
      const resource = decodeURIComponent(eventPath[1]!) === options.calendarId ? resources.get(id) : undefined;
      if (!resource) return sendJson(res, 404, googleError(404, "notFound", "Not Found"));
      if (resource.status === "cancelled") return sendJson(res, 410, googleError(410, "deleted", "Resource has been deleted"));
      resource.status = "cancelled";
      fake.events = fake.events.filter((event) => event.id !== id);
      fake.deleted.push(id);
      res.writeHead(204).end();
      return;
    }
    const eventsPath = /^\/calendar\/v3\/calendars\/([^/]+)\/events$/.exec(url.pathname);
    if (req.method === "POST" && eventsPath) {
      if (decodeURIComponent(eventsPath[1]!) !== options.calendarId) {
        return sendJson(res, 404, googleError(404, "notFound", "Not Found"));
      }
      if (json.id !== undefined && !/^[a-v0-9]{5,1024}$/.test(String(json.id))) return sendJson(res, 400, googleError(400, "invalid", "Invalid resource id value."));
      if (json.id !== undefined && resources.has(json.id)) return sendJson(res, 409, googleError(409, "duplicate", "The requested identifier already exists."));
      if (fake.insertsWaitFor) await fake.insertsWaitFor;
      const createRequest = json.conferenceData?.createRequest as { requestId: string; conferenceSolutionKey: { type: string } } | undefined;
      const withConference = url.searchParams.get("conferenceDataVersion") === "1" && createRequest !== undefined;
      ++counter;
      const id = (json.id as string | undefined) ?? `evt${counter}`;
      let meetLink: string | null = null;
      if (withConference) {
        meetLink = conferences.get(createRequest.requestId) ?? `https://meet.google.com/fak-${String(counter).padStart(4, "0")}-xyz`;
        conferences.set(createRequest.requestId, meetLink);
      }
      const event: FakeEvent = { id, summary: json.summary, start: json.start.dateTime, end: json.end.dateTime, requestId: createRequest?.requestId ?? null, meetLink };
      fake.events.push(event);
      const resource = {
        kind: "calendar#event",
        id,
        status: "confirmed",
        htmlLink: `https://www.google.com/calendar/event?eid=${id}`,
        summary: json.summary,
        description: json.description,
        start: json.start,
        end: json.end,
        ...(meetLink && {
          hangoutLink: meetLink,
          conferenceData: {
            createRequest: { ...createRequest, status: { statusCode: "success" } },
            entryPoints: [{ entryPointType: "video", uri: meetLink, label: meetLink.replace("https://", "") }],
            conferenceSolution: { key: { type: "hangoutsMeet" }, name: "Google Meet" },
            conferenceId: meetLink.split("/").pop(),
          },
        }),
      };
      resources.set(id, resource);
      if (fake.loseInsertAnswers > 0) {
        fake.loseInsertAnswers--;
        res.socket?.destroy();
        return;
      }
      return sendJson(res, 200, resource);
    }
    return sendJson(res, 404, { error: { code: 404, message: "Not Found" } });
  }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  fake.rootUrl = `http://127.0.0.1:${port}/`;
  fake.tokenUrl = `http://127.0.0.1:${port}/token`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}

/** A service-account self-signed JWT: RS256 signature, iss = the account, a calendar scope, not expired. */
function verifyJwt(token: string, key: KeyObject, email: string): boolean {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature) return false;
  const verifier = createVerify("RSA-SHA256");
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(key, Buffer.from(signature, "base64url"))) return false;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { iss?: string; scope?: string; aud?: string; exp?: number };
  const scoped = (claims.scope ?? "").includes("calendar") || (claims.aud ?? "").includes("calendar");
  return claims.iss === email && scoped && (claims.exp ?? 0) * 1000 > Date.now();
}


