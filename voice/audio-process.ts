/**
 * The live-audio process, forked by the product process (voice/audio-host.ts)
 * so that forwarding audio between Twilio and the Realtime API never waits
 * behind the API, campaigns or the database on the product's event loop.
 *
 * It holds no product config and no database: its settings come in the
 * `init` message, the upgraded Media Streams sockets come as message handles,
 * and what a call needs from the product (opening it, transcripts, facts,
 * booking, finalising) is an RPC over the IPC channel (audio-rpc-client.ts).
 * It runs the same stream server and bridge as the in-process mode.
 *
 * It stops when the product asks (`shutdown`: calls are ended politely and
 * finalised through the product first), or at once when the product process
 * is gone. Signals are left to the product process: a terminal's Ctrl-C or a
 * service manager reaches the whole group, and the product ends the calls.
 */
import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { z } from "zod";
import { createLogger, issuePaths } from "../src/logger";
import type { Surface } from "../src/observability/dispatch-guard";
import { toAudioSchema, type AudioSettings, type FromAudio, type ToAudio } from "./audio-protocol";
import { createAudioRpcClient } from "./audio-rpc-client";
import { createForwardingGuard } from "./forwarding-guard";
import { setOwnPriority, setOwnRealtimePriority } from "./process-priority";
import { createStreamServer, type StreamUpgrades } from "./stream-server";

const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).catch("info");
const log = createLogger(logLevel.parse(process.env.LOG_LEVEL)).child({ process: "audio" });

if (!process.send) {
  log.fatal("voice/audio-process.ts runs as the product process's child (voice/audio-host.ts), not on its own");
  process.exit(1);
}

function send(message: FromAudio): boolean {
  if (!process.connected || !process.send) return false;
  try {
    process.send(message, undefined, {}, (error: Error | null) => {
      if (error) log.warn({ err: error.message, kind: message.kind }, "message to the product process lost");
    });
    return true;
  } catch (error) {
    // A value the channel cannot carry: the message is lost, the process goes on.
    log.warn({ err: error, kind: message.kind }, "message to the product process could not be sent");
    return false;
  }
}

function forwardFailure(surface: Surface, context: Record<string, unknown>, error: unknown): void {
  const failure = error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { name: "Error", message: String(error) };
  if (send({ kind: "failure", surface, context, error: failure })) return;
  log.error({ err: error, surface, ...context }, "inbound handler failed; skipped");
}

const guard = createForwardingGuard(forwardFailure);
const rpc = createAudioRpcClient(send, log);
let streams: StreamUpgrades | null = null;
let stopping = false;

const REFUSED = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

function start(settings: AudioSettings): void {
  if (streams) return log.warn("second init from the product skipped");
  const refused = setOwnPriority(settings.nice);
  if (refused) {
    log.warn(
      { err: refused, nice: settings.nice },
      "could not set the audio process's priority (a negative one needs root or CAP_SYS_NICE): live audio waits for a busy core like the rest of the product",
    );
  }
  // Asked for after the nice, which stays as the fallback when the system refuses it.
  const realtimeRefused = settings.realtimePriority > 0 ? setOwnRealtimePriority(settings.realtimePriority) : null;
  if (realtimeRefused && !refused) {
    log.warn(
      { err: realtimeRefused, realtime_priority: settings.realtimePriority, nice: settings.nice },
      "could not put the audio process on real-time scheduling (it needs root or CAP_SYS_NICE, and chrt): it runs at its nice only",
    );
  }
  streams = createStreamServer({
    ...rpc.product,
    realtime: settings.realtime,
    accountSid: settings.accountSid,
    streamPath: settings.streamPath,
    timeZone: settings.timeZone,
    limits: settings.limits,
    guard,
    log,
  });
  send({ kind: "ready" });
}

function upgrade(message: Extract<ToAudio, { kind: "upgrade" }>, handle: unknown): void {
  if (!(handle instanceof Socket)) return log.warn("upgrade without its socket skipped");
  const socket: Duplex = handle;
  // Until ws takes the socket, a reset from the caller must not end this process.
  socket.on("error", () => undefined);
  if (!streams || stopping) return void socket.end(REFUSED);
  streams.handleUpgrade({ url: message.url, method: message.method, headers: message.headers }, socket, Buffer.from(message.head, "base64"));
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await streams?.shutdown();
  } catch (error) {
    log.error({ err: error }, "audio process shutdown failed");
  }
  process.exit(0);
}

process.on("message", (raw: unknown, handle: unknown) => {
  const parsed = toAudioSchema.safeParse(raw);
  if (!parsed.success) {
    log.warn({ problems: issuePaths(parsed.error) }, "invalid message from the product process skipped");
    if (handle instanceof Socket) handle.destroy();
    return;
  }
  const message = parsed.data;
  switch (message.kind) {
    case "init":
      return start(message.settings);
    case "upgrade":
      return upgrade(message, handle);
    case "result":
      return rpc.settle(message);
    case "shutdown":
      return void stop();
  }
});

process.on("disconnect", () => {
  // Nothing can store what the calls leave: they end with the process; the product's
  // abandoned-calls sweep finalises them from what was stored.
  if (!stopping) log.error("product process gone; audio process exiting");
  process.exit(1);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => log.debug({ signal }, "signal left to the product process"));
process.on("unhandledRejection", (reason) => guard.failed("unhandled_rejection", {}, reason));
process.on("uncaughtException", (error) => {
  log.fatal({ err: error }, "audio process crashed");
  process.exit(1);
});
