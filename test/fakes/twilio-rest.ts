/**
 * A local fake of Twilio's REST API for calls, over real HTTP, for the official
 * `twilio` client (pointed here with TWILIO_API_BASE).
 * POST /2010-04-01/Accounts/{AccountSid}/Calls.json — HTTP Basic auth with the
 * account SID and auth token, form-encoded parameters (To, From, Url, Method,
 * StatusCallback, StatusCallbackEvent repeated, StatusCallbackMethod,
 * MachineDetection…). Answers 201 with a Call resource (snake_case fields,
 * status "queued", direction "outbound-api"), or Twilio's error shape
 * {code, message, more_info, status} (20003 Authenticate, 21211 invalid To).
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody, sendJson } from "./http";

export interface PlacedCall {
  sid: string;
  params: URLSearchParams;
}

export interface FakeTwilio {
  /** Updates to live calls (POST …/Calls/{Sid}.json): the TwiML or Status sent. */
  updates: { sid: string; params: URLSearchParams }[];
  apiBase: string;
  accountSid: string;
  authToken: string;
  calls: PlacedCall[];
  /** "To" numbers Twilio refuses (error 21211). */
  rejectNumbers: Set<string>;
  close(): Promise<void>;
}

export async function startFakeTwilio(accountSid = "AC00000000000000000000000000000001", authToken = "fake-twilio-auth-token"): Promise<FakeTwilio> {
  const fake: FakeTwilio = { apiBase: "", accountSid, authToken, calls: [], updates: [], rejectNumbers: new Set(), close: async () => undefined };
  const twilioError = (code: number, message: string, status: number) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const body = await readBody(req);
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected) return sendJson(res, 401, twilioError(20003, "Authenticate", 401));
    const update = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/(CA[0-9a-f]+)\.json$/.exec(path);
    if (req.method === "POST" && update) {
      const placed = fake.calls.find((c) => c.sid === update[2]);
      if (!placed) return sendJson(res, 404, twilioError(20404, "The requested resource was not found", 404));
      fake.updates.push({ sid: update[2]!, params: new URLSearchParams(body) });
      return sendJson(res, 200, { sid: update[2], account_sid: accountSid, status: "in-progress", to: placed.params.get("To"), from: placed.params.get("From") });
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
    fake.calls.push({ sid, params });
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
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}
