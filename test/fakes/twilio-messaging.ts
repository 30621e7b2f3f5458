/**
 * A local fake of Twilio Programmable Messaging for WhatsApp, over real HTTP,
 * for the official `twilio` client (src/channels/twilio-client.ts rewrites every
 * https://*.twilio.com host to `apiBase`, so REST paths arrive unchanged).
 *
 * POST /2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP Basic auth with the
 * account SID and auth token (else 401 code 20003), form-encoded. Synchronous
 * refusals, each Twilio's {code, message, more_info, status} with HTTP 400:
 * 21604 no To · 21211 To not a +E164 number (or in `rejectNumbers`) · 21603 no
 * From nor MessagingServiceSid · 21910 From and To on different channels (a
 * bare +E164 To from our whatsapp: sender) · 63007 From is not our WhatsApp
 * sender · 63031 From equals To · 21654
 * ContentVariables without ContentSid · 21619 no Body, MediaUrl nor ContentSid ·
 * 21655 unknown ContentSid · 21656 ContentVariables not a JSON object of
 * non-empty strings. 429 (code 20429) and 5xx are scripted per recipient.
 *
 * Accepted messages answer 201 with a Message resource (status "queued", or
 * "accepted" through a Messaging Service). What happens next comes by status
 * callback (docs/api/errors/63016): a free-form message, or a content that is not
 * an approved template, sent when the user has not written in the last 24 hours
 * (the fake's clock) is accepted and then fails with 63016; otherwise
 * sent → delivered → read, or sent → undelivered (63024/63003) for an unreachable
 * number. GET …/Messages/{Sid}.json returns the current state.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { asyncHandler, readBody, sendJson } from "./http";
import { createContentStore, type StoredContent, type TemplateDefinition } from "./twilio-content";
import { ERROR_TEXT, createStatusCallbacks, statusCallbackFields, type OutboundStatus, type StatusCallback } from "./twilio-status-callbacks";
import { createWhatsAppInbound, type InboundTarget, type WhatsAppInbound } from "./twilio-whatsapp-webhooks";
import { E164, bareNumber, listeningSwitch, newSid, rfc2822, twilioError, whatsappAddress } from "./twilio-wire";

const WINDOW_MS = 24 * 60 * 60 * 1000;

export interface SentMessage {
  sid: string;
  params: URLSearchParams;
  to: string;
  from: string;
  /** What the lead reads: Body, or the content's body with its variables filled in. */
  text: string;
  contentSid: string | null;
  /** ContentVariables as parsed, with the template's samples for those left out. */
  contentVariables: Record<string, string> | null;
  status: OutboundStatus;
  errorCode: number | null;
  createdAt: number;
  /** The answer never reached the client: its connection was cut after the message was recorded. */
  answerCut: boolean;
}

export interface FakeWhatsAppOptions {
  accountSid?: string;
  authToken?: string;
  /** Our WhatsApp sender, `whatsapp:+E164`. */
  sender?: string;
  messagingServiceSid?: string;
  /** The clock behind the 24-hour window and the resource dates. */
  now?: () => number;
  /** Maps a configured (public) webhook URL to where it is really reached. */
  routeWebhook?: (url: string) => string;
  /** Pause before each status callback. */
  callbackDelayMs?: number;
}

type Scripted = { kind: "429" | "5xx" | "cut" | "late-answer"; remaining: number; status?: number };

export async function startFakeTwilioMessaging(options: FakeWhatsAppOptions = {}) {
  const accountSid = options.accountSid ?? "AC00000000000000000000000000000001";
  const authToken = options.authToken ?? "fake-twilio-auth-token";
  const sender = whatsappAddress(options.sender ?? "+525500000000");
  const messagingServiceSid = options.messagingServiceSid ?? "MG00000000000000000000000000000001";
  const channelInstallSid = newSid("XE");
  const route = options.routeWebhook ?? ((url: string) => url);
  const baseClock = options.now ?? Date.now;
  let clockOffset = 0;
  const now = () => baseClock() + clockOffset;

  const messages: SentMessage[] = [];
  const lastInbound = new Map<string, number>();
  const unreachable = new Map<string, 63024 | 63003>();
  const scripted = new Map<string, Scripted[]>();
  const rejectNumbers = new Set<string>();
  const contents = createContentStore(accountSid, now);
  const callbacks = createStatusCallbacks({ authToken, delayMs: options.callbackDelayMs ?? 3, route });
  const find = (sid: string) => messages.find((m) => m.sid === sid);
  const windowOpen = (address: string) => {
    const at = lastInbound.get(whatsappAddress(address));
    return at !== undefined && now() - at < WINDOW_MS;
  };

  function script(number: string, entry: Scripted) {
    const key = number === "*" ? "*" : whatsappAddress(number);
    scripted.set(key, [...(scripted.get(key) ?? []), entry]);
  }

  /** The next scripted behaviour for this recipient (its own first, then the "any recipient" ones). */
  function takeScripted(to: string, kinds: Scripted["kind"][]): Scripted | undefined {
    for (const key of [to, "*"]) {
      const entry = scripted.get(key)?.find((s) => kinds.includes(s.kind) && s.remaining > 0);
      if (entry) {
        entry.remaining--;
        return entry;
      }
    }
    return undefined;
  }

  function messageResource(m: SentMessage) {
    const viaService = m.params.has("MessagingServiceSid");
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}.json`;
    return {
      account_sid: accountSid,
      api_version: "2010-04-01",
      body: m.text,
      date_created: rfc2822(m.createdAt),
      date_sent: m.status === "queued" || m.status === "accepted" ? null : rfc2822(m.createdAt),
      date_updated: rfc2822(now()),
      direction: "outbound-api",
      error_code: m.errorCode,
      error_message: m.errorCode === null ? null : (ERROR_TEXT[m.errorCode] ?? null),
      from: m.from,
      messaging_service_sid: viaService ? messagingServiceSid : null,
      num_media: String(m.params.getAll("MediaUrl").length),
      num_segments: "1",
      price: null,
      price_unit: "USD",
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: uri.replace(/\.json$/, "/Media.json") },
      to: m.to,
      uri,
    };
  }

  const callbackParams = (m: SentMessage, status: OutboundStatus, errorCode: number | null) =>
    statusCallbackFields({ ...m, accountSid, channelInstallSid, messagingServiceSid: m.params.has("MessagingServiceSid") ? messagingServiceSid : null }, status, errorCode);

  /** Twilio's side of an accepted message: the status changes it will go through. */
  function lifecycle(m: SentMessage, content: StoredContent | undefined): { status: OutboundStatus; errorCode: number | null }[] {
    const start: { status: OutboundStatus; errorCode: null }[] = m.params.has("MessagingServiceSid") ? [{ status: "queued", errorCode: null }] : [];
    const approvedTemplate = content?.approved === true;
    if (!windowOpen(m.to) && !approvedTemplate) return [...start, { status: "failed", errorCode: 63016 }];
    const lost = unreachable.get(m.to);
    if (lost) return [...start, { status: "sent", errorCode: null }, { status: "undelivered", errorCode: lost }];
    return [...start, { status: "sent", errorCode: null }, { status: "delivered", errorCode: null }, { status: "read", errorCode: null }];
  }

  function createMessage(params: URLSearchParams): { status: number; body: unknown; message?: SentMessage; played?: Promise<void> } {
    const to = params.get("To");
    if (!to) return { status: 400, body: twilioError(21604, "A 'To' phone number is required.", 400) };
    if (!E164.test(bareNumber(to)) || rejectNumbers.has(bareNumber(to))) {
      return { status: 400, body: twilioError(21211, `Invalid 'To' Phone Number: ${to}`, 400) };
    }
    const serviceSid = params.get("MessagingServiceSid");
    const from = params.get("From") ?? (serviceSid ? sender : null);
    if (!from) return { status: 400, body: twilioError(21603, "A 'From' phone number is required.", 400) };
    if (serviceSid && serviceSid !== messagingServiceSid) return { status: 404, body: twilioError(20404, `The requested resource /Services/${serviceSid} was not found`, 404) };
    if (from.startsWith("whatsapp:") !== to.startsWith("whatsapp:")) {
      return { status: 400, body: twilioError(21910, "Invalid 'From' and 'To' pair. 'From' and 'To' should be of the same channel", 400) };
    }
    if (from !== sender) return { status: 400, body: twilioError(63007, "Twilio could not find a Channel with the specified 'From' address", 400) };
    if (to === from) return { status: 400, body: twilioError(63031, "Channels message cannot have same 'From' and 'To'", 400) };
    const contentSid = params.get("ContentSid");
    const rawVariables = params.get("ContentVariables");
    if (rawVariables !== null && !contentSid) return { status: 400, body: twilioError(21654, "ContentSid Required", 400) };
    if (!params.get("Body") && !params.has("MediaUrl") && !contentSid) return { status: 400, body: twilioError(21619, "A Message Body, Media URL or Content SID is required", 400) };
    const content = contentSid ? contents.get(contentSid) : undefined;
    if (contentSid && !content) return { status: 400, body: twilioError(21655, "The ContentSid is Invalid", 400) };
    let text = params.get("Body") ?? "";
    let contentVariables: Record<string, string> | null = null;
    if (contentSid) {
      const rendered = contents.render(contentSid, rawVariables);
      if (!rendered.ok) return { status: 400, body: twilioError(rendered.code, rendered.message, 400) };
      text = rendered.text;
      contentVariables = rendered.variables;
    }
    const message: SentMessage = {
      sid: newSid("SM"),
      params,
      to,
      from,
      text,
      contentSid,
      contentVariables,
      status: serviceSid ? "accepted" : "queued",
      errorCode: null,
      createdAt: now(),
      answerCut: false,
    };
    messages.push(message);
    const body = messageResource(message);
    // Without a StatusCallback nothing is posted, but the message still moves on at the same pace.
    const statusCallback = params.get("StatusCallback") ?? "";
    const played = callbacks.play(
      lifecycle(message, content).map((s) => ({ sid: message.sid, status: s.status, url: statusCallback, params: callbackParams(message, s.status, s.errorCode) })),
      (step) => {
        message.status = step.status;
        if (step.params.ErrorCode) message.errorCode = Number(step.params.ErrorCode);
      },
    );
    return { status: 201, body, message, played };
  }

  const server = createServer(asyncHandler(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const raw = await readBody(req);
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected) return sendJson(res, 401, twilioError(20003, "Authenticate", 401));
    const notFound = () => sendJson(res, 404, twilioError(20404, `The requested resource ${path} was not found`, 404));

    if (path === "/v1/Content" && req.method === "POST") {
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const created = contents.create(body);
      // Twilio's code for a bad Content create body is not documented; 20001 is the fake's choice.
      return created.ok ? sendJson(res, 201, created.resource) : sendJson(res, 400, twilioError(20001, created.message, 400));
    }
    const contentPath = /^\/v1\/Content\/(HX[0-9a-fA-F]{32})$/.exec(path);
    if (contentPath && req.method === "GET") {
      const stored = contents.get(contentPath[1]!);
      return stored ? sendJson(res, 200, stored.resource) : notFound();
    }

    const messagePath = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages(?:\/(SM[0-9a-f]{32}))?\.json$/.exec(path);
    if (!messagePath) return notFound();
    if (messagePath[1] !== accountSid) return sendJson(res, 403, twilioError(20003, "Authenticate", 403));
    if (req.method === "GET" && messagePath[2]) {
      const message = find(messagePath[2]);
      return message ? sendJson(res, 200, messageResource(message)) : notFound();
    }
    if (req.method !== "POST" || messagePath[2]) return notFound();

    const params = new URLSearchParams(raw);
    const to = whatsappAddress(params.get("To") ?? "");
    const refused = takeScripted(to, ["429", "5xx"]);
    if (refused?.kind === "429") return sendJson(res, 429, twilioError(20429, "Too Many Requests", 429));
    if (refused?.kind === "5xx") return sendJson(res, refused.status!, twilioError(20500, "An internal server error has occurred", refused.status!));
    const result = createMessage(params);
    if (result.message && takeScripted(to, ["cut"])) {
      // The message is out, but the client only sees its connection drop (ECONNRESET, "socket hang up").
      result.message.answerCut = true;
      res.socket?.destroy();
      return;
    }
    // Twilio's callbacks race its answer: on a slow answer they all arrive first.
    if (result.played && takeScripted(to, ["late-answer"])) await result.played;
    return sendJson(res, result.status, result.body);
  }));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const connections = listeningSwitch(server, port);

  return {
    apiBase: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    sender,
    messagingServiceSid,
    /** Every message Twilio accepted (201, or recorded before the connection was cut), in order. */
    messages,
    /** Messages to one lead, `+E164` or `whatsapp:+E164`. */
    messagesTo: (number: string) => messages.filter((m) => m.to === whatsappAddress(number)),
    message: (sid: string) => find(sid),
    /** "To" numbers (+E164) Twilio refuses with 21211. */
    rejectNumbers,

    now,
    advanceClock(ms: number) {
      clockOffset += ms;
    },
    setClock(ms: number) {
      clockOffset = ms - baseClock();
    },
    /** The lead wrote to us at `at` (default now): their 24-hour window opens from then. */
    userWroteAt(number: string, at = now()) {
      lastInbound.set(whatsappAddress(number), at);
    },
    /** As if the lead had never written: only approved templates reach them. */
    forgetInbound: (number: string) => void lastInbound.delete(whatsappAddress(number)),
    isWindowOpen: (number: string) => windowOpen(number),

    /** Pre-registers an approved WhatsApp template, sendable with ContentSid at any time. */
    registerTemplate: (sid: string, template: TemplateDefinition) => contents.register(sid, template),
    content: (sid: string) => contents.get(sid),

    /** Messages to this number are sent and then reported undelivered with this error. */
    unreachable: (number: string, code: 63024 | 63003 = 63024) => void unreachable.set(whatsappAddress(number), code),
    /** The next `times` sends to this number ("*": any) answer 429, code 20429, and are not processed. */
    tooManyRequests: (number: string, times = 1) => script(number, { kind: "429", remaining: times }),
    /** The next `times` sends to this number ("*": any) answer a 5xx and are not processed. */
    serverErrors: (number: string, times = 1, status = 500) => script(number, { kind: "5xx", remaining: times, status }),
    /** The next `times` sends to this number ("*": any) are recorded and go out, but the connection is cut before the answer. */
    recordThenCut: (number: string, times = 1) => script(number, { kind: "cut", remaining: times }),
    /** The next `times` sends to this number are answered only after all their status callbacks were posted. */
    answerAfterCallbacks: (number: string, times = 1) => script(number, { kind: "late-answer", remaining: times }),
    /** Stops listening: connections are refused (nothing sent) until acceptConnections. */
    refuseConnections: () => connections.refuse(),
    /** Listens again on the same port. */
    acceptConnections: () => connections.accept(),

    /** Every status callback posted, with its signature and the answer it got. */
    statusCallbacks: callbacks.posted,
    holdStatusCallbacks: () => callbacks.hold(),
    heldStatusCallbacks: () => callbacks.held(),
    /** Posts the held callbacks in the order `pick` returns (reorder, repeat to duplicate, drop to lose). */
    releaseStatusCallbacks: (pick?: (held: StatusCallback[]) => StatusCallback[]) => callbacks.release(pick),
    /** Posts one more callback for a message, e.g. a late duplicate or a stale status. */
    async postStatusCallback(sid: string, status: OutboundStatus, errorCode: number | null = null) {
      const message = find(sid);
      const url = message?.params.get("StatusCallback");
      if (!message || !url) throw new Error(`fake Twilio: no message ${sid} with a StatusCallback`);
      await callbacks.send({ sid, status, url, params: callbackParams(message, status, errorCode), token: randomUUID() });
    },
    /** Resolves once every status change scheduled so far has happened (posted or held). */
    statusCallbacksIdle: () => callbacks.idle(),

    /** Inbound messages to a webhook, signed for `target.url`; each also opens the sender's 24-hour window. */
    inbound(target: InboundTarget): WhatsAppInbound {
      return createWhatsAppInbound(
        { url: target.url, postTo: target.postTo ?? route(target.url) },
        { accountSid, authToken, businessAddress: sender, messagingServiceSid, onInbound: (from) => lastInbound.set(whatsappAddress(from), now()) },
      );
    },

    async close() {
      await callbacks.idle();
      server.closeAllConnections();
      // A server already refusing connections has nothing left to close.
      await new Promise<void>((resolve) => (connections.isListening() ? server.close(() => resolve()) : resolve()));
    },
  };
}

export type FakeTwilioMessaging = Awaited<ReturnType<typeof startFakeTwilioMessaging>>;
