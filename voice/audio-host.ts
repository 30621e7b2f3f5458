/**
 * Live audio in its own process. The product process keeps the public port;
 * an HTTP upgrade for the stream paths is handed, as its raw socket, to one
 * child process (voice/audio-process.ts), which completes the WebSocket
 * handshake and runs the calls. Forwarding audio then never waits behind the
 * API, campaign sends or database work on this event loop. The child asks this
 * process for what needs the product (opening a call, transcripts, facts,
 * booking, finalising) over the IPC channel, answered here by
 * audio-rpc-server.ts; its handler failures are logged and counted by this
 * process's guard.
 *
 * Lifecycle: start-up waits until the child is ready. A child that dies is
 * replaced (after a growing pause); meanwhile stream upgrades are answered 503
 * and the calls it had are finalised by the abandoned-calls sweep. Shutdown
 * asks the child to end its calls politely (their finalisation still comes
 * here), waits for it to exit (bounded, then SIGKILL), and only then lets the
 * product go on closing.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { IncomingMessage, Server } from "node:http";
import { Socket } from "node:net";
import { extname } from "node:path";
import type { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { configSchema } from "../src/config";
import { issuePaths, type Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import { fromAudioSchema, type AudioSettings, type FromAudio, type ToAudio } from "./audio-protocol";
import { createAudioRpcServer } from "./audio-rpc-server";
import { isStreamPath, type StreamProductDeps, type StreamServer } from "./stream-server";

export interface AudioHostTiming {
  /** How long a new child may take to say it is ready. */
  readyTimeoutMs: number;
  /** How long shutdown waits for the child's calls to end and be finalised before killing it (inside main.ts's 10 s). */
  shutdownTimeoutMs: number;
  /** The first pause before replacing a dead child; doubled on each death, up to the max. */
  restartDelayMs: number;
  maxRestartDelayMs: number;
  /** A child that served this long before dying was healthy: the next pause starts over. */
  stableAfterMs: number;
}

const DEFAULT_TIMING: AudioHostTiming = {
  readyTimeoutMs: 30_000,
  shutdownTimeoutMs: 8_000,
  restartDelayMs: 500,
  maxRestartDelayMs: 30_000,
  stableAfterMs: 60_000,
};

export interface AudioHostOptions {
  settings: AudioSettings;
  /** What the calls need from the product, served to the child over IPC. */
  product: StreamProductDeps;
  /** The product's LOG_LEVEL: the child logs with the same logger at the same level. */
  logLevel: string;
  guard: DispatchGuard;
  log: Logger;
  timing?: Partial<AudioHostTiming>;
}

// Next to this file, with its extension: audio-process.ts under tsx, audio-process.js once compiled (npm start).
// fork() hands the child this process's execArgv: tsx's loader when the product runs from its sources,
// none when it runs compiled, so the child then compiles nothing either.
const AUDIO_PROCESS_PATH = fileURLToPath(new URL(`./audio-process${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

const REFUSED = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve = () => undefined as void;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<void>((done, fail) => {
    resolve = done;
    reject = fail;
  });
  return { promise, resolve, reject };
}

interface AudioChild {
  process: ChildProcess;
  ready: boolean;
  readyAt: number;
  /** Resolves once the child said it is ready; rejects if it exits first. */
  readiness: Deferred;
  /** Resolves once the child has exited (or could not be started). */
  exit: Deferred;
  ended: boolean;
  readyTimer?: NodeJS.Timeout;
}

/** Forks the audio process, waits until it is ready, and routes stream upgrades on `server` to it. */
export async function startAudioHost(server: Server, options: AudioHostOptions): Promise<StreamServer> {
  const { settings, guard, log } = options;
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  const rpc = createAudioRpcServer(options.product, log);
  let current: AudioChild | null = null;
  let closing = false;
  let restartDelay = timing.restartDelayMs;
  let restartTimer: NodeJS.Timeout | undefined;

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!isStreamPath(request.url, settings.streamPath)) return void socket.destroy();
    // The HTTP server stopped watching the socket when it emitted the upgrade: a reset must not end this process.
    socket.on("error", () => undefined);
    const child = current;
    if (closing || !child?.ready || !child.process.connected) {
      log.warn("Media Streams connection refused: no audio process ready");
      return void socket.end(REFUSED);
    }
    // Only a plain TCP socket can move to another process (a TLS session's state would stay here).
    if (!(socket instanceof Socket) || socket instanceof TLSSocket) {
      log.error("Media Streams connection refused: only a plain TCP socket can be handed to the audio process");
      return void socket.end(REFUSED);
    }
    // Anything the client sent past the request already (pipelined) goes with the head.
    const buffered: unknown = socket.read();
    const bytes = Buffer.isBuffer(buffered) ? Buffer.concat([head, buffered]) : head;
    stopReading(socket);
    const message: ToAudio = { kind: "upgrade", url: request.url ?? "/", method: request.method ?? "GET", headers: request.headers, head: bytes.toString("base64") };
    // Once sent, the socket belongs to the child: Node closes this process's copy.
    sendTo(child, message, socket, () => socket.destroy());
  });

  function sendTo(child: AudioChild, message: ToAudio, handle?: Socket, onLost?: () => void): void {
    const lost = (error: unknown) => {
      log.warn({ err: error instanceof Error ? error.message : String(error), kind: message.kind, audio_pid: child.process.pid }, "message to the audio process lost");
      onLost?.();
    };
    if (!child.process.connected) return lost(new Error("IPC channel closed"));
    try {
      child.process.send(message, handle, {}, (error: Error | null) => {
        if (error) lost(error);
      });
    } catch (error) {
      lost(error);
    }
  }

  function launch(): AudioChild {
    const forked = fork(AUDIO_PROCESS_PATH, [], { serialization: "advanced", env: audioProcessEnv(options.logLevel) });
    const child: AudioChild = { process: forked, ready: false, readyAt: 0, readiness: deferred(), exit: deferred(), ended: false };
    // A replacement has nobody waiting for its readiness: a child that never gets ready is logged by onExit.
    child.readiness.promise.catch(() => undefined);
    current = child;
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      if (child.ended) return;
      child.ended = true;
      clearTimeout(child.readyTimer);
      child.readiness.reject(new Error(`audio process exited before it was ready (code ${code}, signal ${signal})`));
      child.exit.resolve();
      onExit(child, code, signal);
    };
    forked.on("message", (raw: unknown) => onMessage(child, raw));
    forked.once("exit", ended);
    forked.on("error", (error) => {
      log.error({ err: error, audio_pid: forked.pid }, "audio process error");
      // Spawning failed: there will be no exit event.
      if (forked.pid === undefined) ended(null, null);
    });
    child.readyTimer = setTimeout(() => {
      log.error({ audio_pid: forked.pid, timeout_ms: timing.readyTimeoutMs }, "audio process not ready in time; killed");
      forked.kill("SIGKILL");
    }, timing.readyTimeoutMs);
    sendTo(child, { kind: "init", settings });
    return child;
  }

  function onMessage(child: AudioChild, raw: unknown): void {
    const parsed = fromAudioSchema.safeParse(raw);
    if (!parsed.success) return log.warn({ audio_pid: child.process.pid, problems: issuePaths(parsed.error) }, "invalid message from the audio process skipped");
    const message = parsed.data;
    switch (message.kind) {
      case "ready":
        if (child.ready) return;
        child.ready = true;
        child.readyAt = Date.now();
        clearTimeout(child.readyTimer);
        log.info({ audio_pid: child.process.pid }, "audio process ready");
        return child.readiness.resolve();
      case "call":
        return void answer(child, message);
      case "failure": {
        const error = Object.assign(new Error(message.error.message), { name: message.error.name, stack: message.error.stack });
        return guard.failed(message.surface, { ...message.context, audio_pid: child.process.pid }, error);
      }
    }
  }

  async function answer(child: AudioChild, call: Extract<FromAudio, { kind: "call" }>): Promise<void> {
    const outcome = await rpc.serve(call.method, call.args);
    // The child that asked may have died meanwhile: the work is done, the answer is dropped.
    if (!child.process.connected) return;
    sendTo(child, { kind: "result", id: call.id, ...outcome }, undefined, () => {
      // A value the channel could not carry: the child still gets an answer, as a failure.
      if (outcome.ok) sendTo(child, { kind: "result", id: call.id, ok: false, error: { message: `answer to ${call.method} could not be sent`, domain: false } });
    });
  }

  function onExit(child: AudioChild, code: number | null, signal: NodeJS.Signals | null): void {
    if (current === child) current = null;
    // A first child that never got ready fails start-up instead (startAudioHost throws).
    if (closing || !started) return;
    log.error(
      { audio_pid: child.process.pid, code, signal },
      "audio process ended: its live calls are lost (the abandoned-calls sweep finalises them); starting another",
    );
    if (child.ready && Date.now() - child.readyAt >= timing.stableAfterMs) restartDelay = timing.restartDelayMs;
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      if (!closing) launch();
    }, restartDelay);
    restartDelay = Math.min(restartDelay * 2, timing.maxRestartDelayMs);
  }

  let started = false;
  await launch().readiness.promise;
  started = true;

  return {
    async shutdown() {
      closing = true;
      clearTimeout(restartTimer);
      const child = current;
      if (!child) return;
      child.ready = false;
      sendTo(child, { kind: "shutdown" });
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        child.exit.promise.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timing.shutdownTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (stopped) return;
      log.error({ audio_pid: child.process.pid, timeout_ms: timing.shutdownTimeoutMs }, "audio process did not stop in time; killed");
      child.process.kill("SIGKILL");
      await child.exit.promise;
    },
  };
}

/**
 * Stops this process reading a socket it hands over. Node closes its copy of the handle only once the
 * child has acknowledged it, and until then whatever this copy reads is dropped: the caller's first
 * frames, sent as soon as the child's handshake answer arrives, would be lost. (Node advises
 * `pauseOnConnect` for handing sockets over; an HTTP server has read the request already, so the read
 * is stopped on the handle, which Node's types do not show.)
 */
function stopReading(socket: Socket): void {
  const { _handle: handle } = socket as Socket & { _handle?: { readStop?: () => number } | null };
  handle?.readStop?.();
}

/**
 * The child reads none of the product's variables (its settings come in `init`), so they stay
 * out of its environment, secrets included. The rest (PATH, tsx's, proxies, certificates) stays.
 */
function audioProcessEnv(logLevel: string): NodeJS.ProcessEnv {
  const productVariables = new Set(Object.keys(configSchema.shape));
  const kept = Object.entries(process.env).filter(([name]) => !productVariables.has(name) || name === "NODE_ENV" || name === "TZ");
  return { ...Object.fromEntries(kept), LOG_LEVEL: logLevel };
}
