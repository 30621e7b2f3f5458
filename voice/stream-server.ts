/**
 * The Media Streams WebSocket at /voice/stream. Anyone on the internet can
 * open it, so each connection is held to limits before and after it proves
 * to be Twilio's:
 * - frames larger than `maxFrameBytes` close the socket (Twilio's are a few hundred bytes);
 * - the first message after `connected` must be a `start`, within `startTimeoutMs`;
 * - the `start` must name, by call id, CallSid and account, a call we placed
 *   or answered that is in progress and not already streaming (frames that
 *   arrive while the call is looked up wait for it, then go to the call);
 * - a connection sending more frames than a call ever does (a token bucket per
 *   socket) is cut, so one flood cannot starve the live calls;
 * - at most `maxPendingConnections` sockets may wait for their `start`.
 * Every frame is parsed by the Media Streams schema and dispatched behind the guard.
 *
 * The server takes upgraded sockets from whoever owns the HTTP port: the API's
 * own server (attachStreamServer, in-process), or the product process handing
 * them to the live-audio process (voice/audio-host.ts → voice/audio-process.ts).
 * Everything it needs from the product is in its deps, so it runs the same in both.
 */
import { isRowId } from "../src/domain/row-id";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { Logger } from "../src/logger";
import { runBridge, type BridgeDeps, type BridgeHandle, type RealtimeSettings } from "./bridge";
import { parseTwilioMessage, type TwilioStart } from "./twilio-protocol";

export interface StreamLimits {
  maxFrameBytes: number;
  startTimeoutMs: number;
  /** Sustained frames per second on one socket (Twilio: 50 media + up to 50 mark echoes). */
  framesPerSecond: number;
  /** Frames one socket may send at once above the sustained rate (a network hiccup delivers a backlog). */
  burstFrames: number;
  maxPendingConnections: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxFrameBytes: 16 * 1024,
  startTimeoutMs: 5_000,
  framesPerSecond: 200,
  burstFrames: 1_000,
  maxPendingConnections: 64,
};

/** The call a `start` opened: what the bridge needs to run it. */
export interface OpenedCall {
  callId: number;
  leadId: number;
  /** The voice agent's prompt for this lead. */
  instructions: string;
}

export interface StreamServerDeps extends Pick<BridgeDeps, "results" | "sayAndHangUp" | "booking" | "leadRequests" | "timeZone" | "guard"> {
  /**
   * Claims the call a `start` names (voice/call-opening.ts): null when it is unknown, finished,
   * already streaming or not this CallSid's. The call's start time is set by the same write.
   */
  openCall(callId: number, callSid: string): Promise<OpenedCall | null>;
  realtime: RealtimeSettings;
  /** Our Twilio account: a stream from another account is not ours. */
  accountSid: string;
  log: Logger;
  /** The path of the public stream URL (with WEBHOOK_BASE_URL's prefix), accepted besides /voice/stream. */
  streamPath?: string;
  limits?: Partial<StreamLimits>;
}

/** WebSocket close code for a policy violation: not a stream we expect. */
const POLICY_VIOLATION = 1008;

export interface StreamServer {
  /** Ends every call in progress politely (a last spoken line from Twilio), finalising each, and closes the server. */
  shutdown(): Promise<void>;
}

/** What ws reads of an upgrade request: the live-audio process gets only these, not the HTTP server's request. */
export interface UpgradeRequest {
  url?: string | undefined;
  method?: string | undefined;
  headers: NodeJS.Dict<string | string[]>;
}

/** What the stream server borrows from the product: in the live-audio process, each is an RPC to the product process. */
export type StreamProductDeps = Pick<StreamServerDeps, "openCall" | "results" | "sayAndHangUp" | "booking" | "leadRequests">;

export interface StreamUpgrades extends StreamServer {
  /** Takes an HTTP upgrade for the stream paths (anything else is destroyed) and runs the call on it. */
  handleUpgrade(request: UpgradeRequest, socket: Duplex, head: Buffer): void;
}

/** Whether an upgrade's URL is the stream's: /voice/stream, or the public stream URL's path behind a proxy that keeps WEBHOOK_BASE_URL's prefix. */
export function isStreamPath(url: string | undefined, streamPath: string | undefined): boolean {
  const pathname = new URL(url ?? "/", "http://local").pathname;
  return pathname === "/voice/stream" || pathname === (streamPath ?? "/voice/stream");
}

const SHUTDOWN_LINE = "Tenemos que terminar la llamada por ahora. Te contactaremos pronto. ¡Gracias!";
const SHUTDOWN_REASON = "servidor detenido";

/** The stream server on the API's own HTTP server, in this process. */
export function attachStreamServer(server: Server, deps: StreamServerDeps): StreamServer {
  const streams = createStreamServer(deps);
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => streams.handleUpgrade(request, socket, head));
  return { shutdown: () => streams.shutdown() };
}

export function createStreamServer(deps: StreamServerDeps): StreamUpgrades {
  const limits = { ...DEFAULT_STREAM_LIMITS, ...deps.limits };
  const { log, guard } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes });
  const active = new Set<BridgeHandle>();
  /** Connections whose `start` is being checked against the database. */
  const opening = new Set<Promise<void>>();
  let pending = 0;
  let shuttingDown = false;
  wss.on("error", (error) => log.warn({ err: error.message }, "Media Streams server error"));

  function handleUpgrade(request: UpgradeRequest, socket: Duplex, head: Buffer): void {
    if (!isStreamPath(request.url, deps.streamPath)) return void socket.destroy();
    if (pending >= limits.maxPendingConnections) {
      log.warn({ pending }, "too many Media Streams connections waiting for start; refused");
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n");
      return;
    }
    // ws reads only the request's method, URL and headers (no verifyClient is set), so the
    // live-audio process's stand-in for the HTTP server's request is enough.
    wss.handleUpgrade(request as IncomingMessage, socket, head, (ws) => accept(ws, socket));
  }

  function accept(ws: WebSocket, socket: Duplex): void {
    pending++;
    let state: "waiting" | "opening" | "streaming" | "closed" = "waiting";
    let bridge: BridgeHandle | null = null;
    /** The log and guard context of this connection's frames: one object, not one per frame (50 a second). */
    let frames: { call_id: number | null } = { call_id: null };
    /** Frames that came while the `start` was being checked, for the call once it runs. */
    const early: { data: RawData; isBinary: boolean }[] = [];
    /** Why the connection was cut by us, for a call it opened meanwhile. */
    let cutReason: string | null = null;
    const allowance = createFrameAllowance(limits.framesPerSecond, limits.burstFrames);
    const leaveWaiting = () => {
      if (state === "waiting" || state === "opening") pending--;
    };
    const refuse = (reason: string, context: Record<string, unknown> = {}) => {
      if (state === "closed") return;
      leaveWaiting();
      state = "closed";
      clearTimeout(startTimer);
      log.warn({ ...context, reason }, "Media Streams connection closed");
      ws.close(POLICY_VIOLATION, reason);
      // A client that ignores the close handshake is cut shortly after.
      setTimeout(() => ws.terminate(), 2_000).unref();
    };
    const startTimer = setTimeout(() => refuse("no start"), limits.startTimeoutMs);

    ws.on("error", (error) => log.warn({ err: error.message }, "Media Streams socket error"));
    ws.on("close", () => {
      leaveWaiting();
      state = "closed";
      clearTimeout(startTimer);
      if (bridge) active.delete(bridge);
    });
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (state === "closed") return;
      if (!allowance.take()) {
        log.warn(frames, "Media Streams flood: connection cut");
        state = "closed";
        leaveWaiting();
        cutReason = "stream inundado";
        bridge?.finish("stream inundado");
        return void ws.terminate();
      }
      guard.run("media_stream", frames, () => {
        if (state === "waiting") return onWaitingFrame(data, isBinary);
        if (state === "opening") return void early.push({ data, isBinary });
        return onStreamingFrame(data, isBinary);
      });
    });

    function onWaitingFrame(data: RawData, isBinary: boolean): void | Promise<void> {
      if (isBinary) return refuse("binary frame");
      const parsed = parseTwilioMessage(data.toString());
      if (parsed.kind === "message" && parsed.message.event === "connected") return;
      if (parsed.kind !== "message" || parsed.message.event !== "start") return refuse("start expected first", { problems: parsed.kind === "invalid" ? parsed.problems : undefined });
      const started = startStream(parsed.message);
      opening.add(started);
      started.then(
        () => opening.delete(started),
        () => opening.delete(started),
      );
      // Returned to the guard, which logs a failure.
      return started;
    }

    function onStreamingFrame(data: RawData, isBinary: boolean): void {
      if (!bridge) return;
      if (isBinary) return log.warn(frames, "binary Media Streams frame skipped");
      const parsed = parseTwilioMessage(data.toString());
      if (parsed.kind === "invalid") return log.warn({ ...frames, event: parsed.name, problems: parsed.problems }, "invalid Media Streams frame skipped");
      if (parsed.kind !== "message") return;
      // While shutting down, Twilio's stop answers our own polite hang-up: the call ended because the server stopped
      // (with the audio process, the stop can arrive before the hang-up's RPC has answered).
      if (shuttingDown && parsed.message.event === "stop") return bridge.finish(SHUTDOWN_REASON);
      bridge.handleTwilio(parsed.message);
    }

    async function startStream(message: TwilioStart): Promise<void> {
      const { start } = message;
      const callId = Number(start.customParameters.call_id);
      const context = { call_id: Number.isSafeInteger(callId) ? callId : null };
      if (start.streamSid !== message.streamSid) return refuse("streamSid mismatch", context);
      if (start.accountSid !== deps.accountSid) return refuse("another account", context);
      if (!isRowId(callId)) return refuse("unknown, finished or already streaming call", context);
      // Still held to the start timeout while the call is looked up.
      state = "opening";
      let opened: OpenedCall | null;
      try {
        opened = await deps.openCall(callId, start.callSid);
      } catch (error) {
        refuse("call not opened", context);
        throw error;
      }
      if (state !== "opening") {
        // The connection closed (or was cut) meanwhile: the call it opened ends as if its stream had closed.
        if (opened) await deps.results.finalize(opened.callId, cutReason ?? "stream cerrado");
        return;
      }
      if (!opened) return refuse("unknown, finished or already streaming call", context);
      clearTimeout(startTimer);
      leaveWaiting();
      state = "streaming";
      frames = { call_id: opened.callId };
      bridge = runBridge({ ws, socket }, { callId: opened.callId, leadId: opened.leadId, callSid: start.callSid, streamSid: start.streamSid, instructions: opened.instructions }, deps);
      active.add(bridge);
      for (const frame of early.splice(0)) guard.run("media_stream", frames, () => onStreamingFrame(frame.data, frame.isBinary));
    }
  }

  return {
    handleUpgrade,
    async shutdown() {
      shuttingDown = true;
      // A call being opened runs (or is finalised) before the calls are ended.
      await Promise.allSettled([...opening]);
      await Promise.allSettled(
        [...active].map(async (handle) => {
          await deps.sayAndHangUp(handle.callSid, SHUTDOWN_LINE).catch((error) => deps.log.warn({ err: error }, "could not end a call politely"));
          handle.finish(SHUTDOWN_REASON);
          await handle.finalized();
        }),
      );
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** A token bucket: `perSecond` frames sustained, `burst` at once. */
function createFrameAllowance(perSecond: number, burst: number) {
  let tokens = burst;
  let last = performance.now();
  return {
    take(): boolean {
      const now = performance.now();
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * perSecond);
      last = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
