/**
 * A local fake of Twilio's REST API for calls, over real HTTP, for the official
 * `twilio` client (pointed here with TWILIO_API_BASE).
 * POST /2010-04-01/Accounts/{AccountSid}/Calls.json — HTTP Basic auth with the
 * account SID and auth token, form-encoded parameters (To, From, Url, Method,
 * StatusCallback, StatusCallbackEvent repeated, StatusCallbackMethod,
 * MachineDetection…). Answers 201 with a Call resource (snake_case fields,
 * status "queued", direction "outbound-api"), or Twilio's error shape
 * {code, message, more_info, status} (20003 Authenticate, 21211 invalid To).
 * POST …/Calls/{Sid}.json with Twiml (a live-call update) is accepted only
 * while the call is in progress (else 21220, as Twilio answers); it replaces
 * the running <Connect><Stream>, so Twilio sends `stop` and closes the media
 * stream. When our server closes a media stream first, the <Connect> verb ends
 * and, with no TwiML after it, so does the call.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { asyncHandler, readBody, sendJson } from "./http";

export interface PlacedCall {
  sid: string;
  params: URLSearchParams;
  status: "queued" | "in-progress" | "completed";
}

/** Twilio's side of a media stream, so the fake can end it the way Twilio does. */
export interface AttachedStream {
  hangUp(): void;
  /** False from the moment our server's close frame arrived: Twilio ends the <Connect> verb right then. */
  isOpen(): boolean;
}

export interface FakeTwilio {
  /** Accepted updates to live calls (POST …/Calls/{Sid}.json): the TwiML or Status sent. */
  updates: { sid: string; params: URLSearchParams }[];
  /** Updates Twilio refused because the call was no longer in progress (error 21220). */
  refusedUpdates: { sid: string; params: URLSearchParams }[];
  /** The callee picks up. */
  answer(sid: string): void;
  /** A media stream for this call is open (the Media Streams client registers itself). */
  attachStream(sid: string, stream: AttachedStream): void;
  /** Our server closed the call's media stream: the <Connect> verb ends, and with it the call. */
  streamClosedByServer(sid: string): void;
  apiBase: string;
  accountSid: string;
  authToken: string;
  calls: PlacedCall[];
  /** "To" numbers Twilio refuses (error 21211). */
  rejectNumbers: Set<string>;
  close(): Promise<void>;
}

export async function startFakeTwilio(accountSid = "AC00000000000000000000000000000001", authToken = "fake-twilio-auth-token"): Promise<FakeTwilio> {
  const streams = new Map<string, AttachedStream>();
  const find = (sid: string) => fake.calls.find((c) => c.sid === sid);
  const fake: FakeTwilio = {
    apiBase: "",
    accountSid,
    authToken,
    calls: [],
    updates: [],
    refusedUpdates: [],
    rejectNumbers: new Set(),
    answer: (sid) => {
      const call = find(sid);
      if (call && call.status === "queued") call.status = "in-progress";
    },
    attachStream: (sid, stream) => void streams.set(sid, stream),
    streamClosedByServer: (sid) => {
      streams.delete(sid);
      const call = find(sid);
      if (call) call.status = "completed";
    },
    close: async () => undefined,
  };
  const twilioError = (code: number, message: string, status: number) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

  const server = createServer(asyncHandler(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const body = await readBody(req);
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected) return sendJson(res, 401, twilioError(20003, "Authenticate", 401));
    const update = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/(CA[0-9a-f]+)\.json$/.exec(path);
    if (req.method === "POST" && update) {
      const placed = find(update[2]!);
      if (!placed) return sendJson(res, 404, twilioError(20404, "The requested resource was not found", 404));
      const params = new URLSearchParams(body);
      const stream = streams.get(placed.sid);
      if (stream && !stream.isOpen()) fake.streamClosedByServer(placed.sid);
      if (placed.status !== "in-progress") {
        fake.refusedUpdates.push({ sid: placed.sid, params });
        return sendJson(res, 400, twilioError(21220, "Call is not in-progress. Cannot redirect.", 400));
      }
      fake.updates.push({ sid: placed.sid, params });
      sendJson(res, 200, { sid: placed.sid, account_sid: accountSid, status: "in-progress", to: placed.params.get("To"), from: placed.params.get("From") });
      // New TwiML replaces the <Connect><Stream>: Twilio stops the stream, then plays what it was given.
      streams.delete(placed.sid);
      stream?.hangUp();
      return;
    }
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/.exec(path);
    if (req.method !== "POST" || !match) return sendJson(res, 404, twilioError(20404, "The requested resource was not found", 404));
    if (match[1] !== accountSid) return sendJson(res, 403, twilioError(20003, "Authenticate", 403));
    const params = new URLSearchParams(body);
    const to = params.get("To") ?? "";
    if (!/^\+[1-9]\d{7,14}$/.test(to) || fake.rejectNumbers.has(to)) {
      return sendJson(res, 400, twilioError(21211, `Invalid 'To' Phone Number: ${to}`, 400));
    }
    if (!params.get("From") || !(params.get("Url") || params.get("Twiml"))) {
      return sendJson(res, 400, twilioError(21205, "Url parameter is required.", 400));
    }
    const sid = `CA${randomBytes(16).toString("hex")}`;
    fake.calls.push({ sid, params, status: "queued" });
    const now = new Date().toUTCString().replace("GMT", "+0000");
    return sendJson(res, 201, {
      sid,
      date_created: now,
      date_updated: now,
      parent_call_sid: null,
      account_sid: accountSid,
      to,
      to_formatted: to,
      from: params.get("From"),
      from_formatted: params.get("From"),
      phone_number_sid: null,
      status: "queued",
      start_time: null,
      end_time: null,
      duration: null,
      price: null,
      price_unit: "USD",
      direction: "outbound-api",
      answered_by: null,
      api_version: "2010-04-01",
      forwarded_from: null,
      group_sid: null,
      caller_name: null,
      queue_time: "0",
      trunk_sid: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`,
      subresource_uris: { recordings: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}/Recordings.json` },
    });
  }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}
