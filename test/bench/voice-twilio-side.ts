/**
 * What the load processes of `npm run bench:voice` share: a keep-alive JSON
 * client for the admin API, Twilio's side of an outbound call against the
 * product (signed status callbacks, the TwiML fetch, the Media Stream opened
 * with the <Parameter>s the TwiML gave), and the stamped audio frames.
 *
 * A call goes as it does in production: the admin API places it
 * (POST /api/v1/calls/initiate, which calls the fake Twilio REST API), Twilio
 * posts `initiated` and `ringing`, fetches /voice/twiml when the callee
 * answers, posts `in-progress`, opens the stream; on hang-up it sends `stop`,
 * closes the stream and posts `completed`.
 *
 * A direct stream (openDirectStream) is the same Media Stream without the
 * call around it, for a bridge that has no call placement (Twilio's sample
 * bridge, test/bench/twilio-sample-bridge.ts): `connected`, `start`, then
 * media, and `stop` on hang-up.
 */
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import WebSocket from "ws";
import { mulawMillis } from "../../voice/twilio-protocol";
import { postSignedForm } from "../fakes/twilio-wire";

/** Epoch milliseconds with sub-millisecond precision: the one clock the bench's processes compare. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export interface ApiAnswer {
  status: number;
  body: any;
}

/**
 * The admin API over node:http with kept-alive connections (fetch costs a load
 * generator more CPU than the requests do). Resolves with the status and the
 * parsed body; rejects only when no answer came.
 */
export function apiClient(productUrl: string, token: string, agent = new Agent({ keepAlive: true })) {
  return (method: string, path: string, body?: unknown): Promise<ApiAnswer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
      if (payload !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
      const req = request(`${productUrl}/api/v1${path}`, { method, agent, headers, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: kept as text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
      req.on("error", reject);
      req.end(payload);
    });
}
export type ApiClient = ReturnType<typeof apiClient>;

/** The answer's body when the status is 2xx; otherwise an error naming the request. */
export async function must(answer: Promise<ApiAnswer>, what: string): Promise<any> {
  const { status, body } = await answer;
  if (status < 200 || status >= 300) throw new Error(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

// --- stamped μ-law frames -------------------------------------------------------------------
// The bridge passes μ-law through untouched, so a frame can carry its send time (a double at
// byte 0, on the sending process's performance.now()), what kind of call sent it (byte 8) and
// the steady call's index (bytes 9-12). The rest stays 0xff, μ-law silence.

export const FRAME_KIND = { steadyCaller: 1, churnCaller: 2, model: 3 } as const;

export function stampedFrame(kind: number, index = 0): string {
  const frame = Buffer.alloc(160, 0xff);
  frame.writeDoubleLE(performance.now(), 0);
  frame[8] = kind;
  frame.writeUInt32LE(index, 9);
  return frame.toString("base64");
}

export function readFrame(base64: string): { sentAt: number; kind: number; index: number } | null {
  const frame = Buffer.from(base64, "base64");
  if (frame.length < 13) return null;
  return { sentAt: frame.readDoubleLE(0), kind: frame[8]!, index: frame.readUInt32LE(9) };
}

// --- Twilio's playback of what a bridge sends ---------------------------------------------------

type Queued = { kind: "media"; ms: number } | { kind: "mark"; name: string };

/**
 * Twilio's audio buffer on one stream, as its Media Streams docs describe it: media plays in real
 * time, a `mark` comes back once the media sent before it has played, and a `clear` empties the
 * buffer and sends back the marks still in it. The steady calls play 20 ms per frame they send,
 * so a bridge gets the mark echoes a real call gives it.
 */
export function createPlayback() {
  const queue: Queued[] = [];
  const marksIn = (items: Queued[]) => items.flatMap((item) => (item.kind === "mark" ? [item.name] : []));
  return {
    media(base64: string): void {
      queue.push({ kind: "media", ms: mulawMillis(base64) });
    },
    mark(name: string): void {
      queue.push({ kind: "mark", name });
    },
    /** The buffer emptied: the names of the marks it held. */
    clear(): string[] {
      return marksIn(queue.splice(0));
    },
    /** `ms` of audio played: the names of the marks reached. */
    play(ms: number): string[] {
      const reached: string[] = [];
      let left = ms;
      while (queue.length > 0) {
        const head = queue[0]!;
        if (head.kind === "mark") {
          reached.push(head.name);
          queue.shift();
          continue;
        }
        if (left <= 0) break;
        const played = Math.min(left, head.ms);
        head.ms -= played;
        left -= played;
        if (head.ms <= 0) queue.shift();
      }
      return reached;
    },
  };
}

// --- Twilio's side of a call ------------------------------------------------------------------

export interface TwilioSide {
  /** Where the product listens (http://127.0.0.1:port). */
  productUrl: string;
  /** WEBHOOK_BASE_URL: what Twilio signs (the public URL), mapped to productUrl here. */
  webhookBase: string;
  accountSid: string;
  authToken: string;
  /** TWILIO_PHONE_NUMBER, the From of our calls. */
  fromNumber: string;
}

/** Twilio's side of an open Media Stream. */
export interface StreamingCall {
  streamSid: string;
  ws: WebSocket;
  /** Epoch ms when the stream's `start` was sent. */
  streamStartedAt: number;
  send(message: Record<string, unknown>): void;
  /** The callee hangs up: `stop`, the stream closes (and, for a placed call, the `completed` status callback). */
  hangUp(): Promise<void>;
}

export interface LiveCall extends StreamingCall {
  leadId: number;
  callId: number;
  callSid: string;
}

async function postTwilio(side: TwilioSide, path: string, params: Record<string, string>): Promise<string> {
  const posted = await postSignedForm(side.authToken, `${side.webhookBase}${path}`, params, { postTo: `${side.productUrl}${path}` });
  if (posted.status < 200 || posted.status >= 300) throw new Error(`Twilio POST ${path} answered ${posted.status}: ${posted.body.slice(0, 200)}`);
  return posted.body;
}

/**
 * Opens a Media Stream at `url` as Twilio does (`connected`, then `start` with the
 * call's ids and <Parameter>s). `onMessage` sees every frame the server sends on it.
 */
async function openMediaStream(
  url: string,
  call: { accountSid: string; callSid: string; customParameters: Record<string, string> },
  onMessage: (data: WebSocket.RawData) => void,
): Promise<StreamingCall> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.on("message", onMessage);
  ws.on("error", () => undefined); // a reset at the end of the run is no failure of the call
  const streamSid = `MZ${randomBytes(16).toString("hex")}`;
  const send = (message: Record<string, unknown>) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  };
  let streamSequence = 1;
  send({ event: "connected", protocol: "Call", version: "1.0.0" });
  send({
    event: "start",
    sequenceNumber: String(streamSequence++),
    streamSid,
    start: {
      accountSid: call.accountSid,
      streamSid,
      callSid: call.callSid,
      tracks: ["inbound"],
      customParameters: call.customParameters,
      mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
    },
  });
  return {
    streamSid,
    ws,
    streamStartedAt: epochNow(),
    send,
    async hangUp() {
      send({ event: "stop", sequenceNumber: String(streamSequence++), streamSid, stop: { accountSid: call.accountSid, callSid: call.callSid } });
      const closed = new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once("close", () => resolve())));
      ws.close(1000);
      await closed;
    },
  };
}

/**
 * A lead created over the admin API, a call placed to it, and Twilio's side of
 * the call up to an open Media Stream. `onMessage` sees every frame the
 * product sends on the stream.
 */
export async function placeStreamingCall(
  side: TwilioSide,
  api: ApiClient,
  lead: { name: string; phone: string },
  onMessage: (data: WebSocket.RawData) => void,
): Promise<LiveCall> {
  const created = await must(api("POST", "/leads", lead), "POST /leads");
  const initiated = await must(api("POST", "/calls/initiate", { lead_id: created.id, agent_type: "perfilador" }), "POST /calls/initiate");
  const callId = initiated.call_id as number;
  const callSid = initiated.call_sid as string;
  const query = `?call_id=${callId}`;
  const base = { CallSid: callSid, AccountSid: side.accountSid, From: side.fromNumber, To: lead.phone, Direction: "outbound-api", ApiVersion: "2010-04-01" };
  let sequence = 0;
  const status = (CallStatus: string, extra: Record<string, string> = {}) =>
    postTwilio(side, `/voice/status${query}`, { ...base, CallStatus, CallbackSource: "call-progress-events", SequenceNumber: String(sequence++), Timestamp: new Date().toUTCString(), ...extra });
  await status("initiated");
  await status("ringing");
  const twiml = await postTwilio(side, `/voice/twiml${query}`, { ...base, CallStatus: "in-progress", AnsweredBy: "human" });
  await status("in-progress");

  const streamUrl = /<Stream url="([^"]+)"/.exec(twiml)?.[1];
  if (!streamUrl) throw new Error(`the TwiML has no <Stream>: ${twiml.slice(0, 200)}`);
  const customParameters = Object.fromEntries([...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1]!, m[2]!]));
  const stream = await openMediaStream(`${side.productUrl.replace(/^http/, "ws")}${new URL(streamUrl).pathname}`, { accountSid: side.accountSid, callSid, customParameters }, onMessage);
  return {
    ...stream,
    leadId: created.id as number,
    callId,
    callSid,
    async hangUp() {
      await stream.hangUp();
      await status("completed", { CallDuration: String(Math.max(1, Math.round((epochNow() - stream.streamStartedAt) / 1000))) });
    },
  };
}

/** A Media Stream opened straight at `url` (ws://…), with no call placed: for a bridge that answers any stream. */
export function openDirectStream(url: string, accountSid: string, onMessage: (data: WebSocket.RawData) => void): Promise<StreamingCall> {
  return openMediaStream(url, { accountSid, callSid: `CA${randomBytes(16).toString("hex")}`, customParameters: {} }, onMessage);
}

/** Runs `work` over `items`, at most `limit` at a time, in order of start. */
export async function inBatches<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

/** p50, p99 and max of `values` (nearest rank), in ms rounded to µs; nulls when there are none. */
export function percentiles(values: Float64Array | number[]): { p50: number | null; p99: number | null; max: number | null; count: number } {
  const sorted = Float64Array.from(values).sort();
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  const at = (q: number) => (sorted.length ? round(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!) : null);
  return { p50: at(0.5), p99: at(0.99), max: sorted.length ? round(sorted[sorted.length - 1]!) : null, count: sorted.length };
}

/** Samples taken over time (epoch ms, value), read back per time window. */
export class TimedSamples {
  private at = new Float64Array(1 << 16);
  private values = new Float64Array(1 << 16);
  private size = 0;

  push(at: number, value: number): void {
    if (this.size === this.at.length) {
      const grow = (old: Float64Array) => {
        const bigger = new Float64Array(old.length * 2);
        bigger.set(old);
        return bigger;
      };
      this.at = grow(this.at);
      this.values = grow(this.values);
    }
    this.at[this.size] = at;
    this.values[this.size++] = value;
  }

  /** The values taken in [from, to). */
  within(from: number, to: number): Float64Array {
    const picked: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.at[i]! >= from && this.at[i]! < to) picked.push(this.values[i]!);
    return Float64Array.from(picked);
  }
}
