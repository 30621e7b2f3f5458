/**
 * What `npm run bench:voice` does with its child processes, in both of its
 * modes: forking the bench's own scripts, taking their IPC messages by type,
 * the product's voice settings, and counting a bridge's logs without keeping them.
 */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";

/** One of the bench's scripts (test/bench/<file>) in its own process, with the tsx loader and an IPC channel. */
export const forkBench = (file: string, options: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}) =>
  fork(join(import.meta.dirname, file), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", options.quiet ? "pipe" : "inherit", options.quiet ? "pipe" : "inherit", "ipc"],
    ...(options.env && { env: options.env }),
  });

/** A child's IPC messages, taken by type in any order; fails if the child exits first. */
export function mailbox(child: ChildProcess, name: string) {
  const messages: { type: string; [key: string]: any }[] = [];
  const waiters: (() => void)[] = [];
  child.on("message", (message: { type: string }) => {
    messages.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  child.once("exit", (code) => {
    if (code !== 0) console.error(`${name} exited with ${code}`);
    for (const wake of waiters.splice(0)) wake();
  });
  return async function next<T = { [key: string]: any }>(type: string): Promise<T> {
    for (;;) {
      const index = messages.findIndex((m) => m.type === type);
      if (index >= 0) return messages.splice(index, 1)[0] as T;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} ended before sending "${type}"`);
      await new Promise<void>((wake) => waiters.push(wake));
    }
  };
}

export interface LogCount {
  bytes(): number;
  errorLines(): number;
  /** The last few error lines, cut to 400 characters. */
  lastErrors(): string[];
}

/**
 * Counts what a child prints on stdout and stderr and keeps only its last error lines
 * (`isError` decides): keeping every line would cost the bench more than the child's work.
 * Replaces any other reader of those streams.
 */
export function countLogs(child: ChildProcess, isError: (line: string, stream: "stdout" | "stderr") => boolean): LogCount {
  let bytes = 0;
  let errorLines = 0;
  const lastErrors: string[] = [];
  for (const [name, stream] of [["stdout", child.stdout], ["stderr", child.stderr]] as const) {
    if (!stream) continue;
    stream.removeAllListeners("data");
    let partial = "";
    stream.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!isError(line, name)) continue;
        errorLines++;
        lastErrors.push(line.slice(0, 400));
        if (lastErrors.length > 5) lastErrors.shift();
      }
    });
  }
  return { bytes: () => bytes, errorLines: () => errorLines, lastErrors: () => [...lastErrors] };
}

/** pino's error and fatal lines (the product logs JSON). */
export const isPinoError = (line: string) => /"level":(50|60)/.test(line);

export const BENCH_ADMIN_TOKEN = "bench-token-0123456789";
/** WEBHOOK_BASE_URL: what the Twilio side signs; it posts to the product's local address. */
export const BENCH_WEBHOOK_BASE = "https://bench.prospecta.example";
export const BENCH_FROM_NUMBER = "+525500000000";

/**
 * The product's environment for live calls in both modes: offline LLM, voice through the fake
 * Twilio REST API and the fake Realtime server; the caller adds the rest (Telegram, pass-through settings).
 */
export function voiceProductEnv(options: {
  databaseUrl: string;
  twilio: { apiBase: string; accountSid: string; authToken: string };
  realtimeUrl: string;
  maxCalls: number;
  callMinutes: number;
}): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    ADMIN_API_TOKEN: BENCH_ADMIN_TOKEN,
    NODE_ENV: "production",
    LLM_PROVIDER: "offline",
    VOICE_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: options.twilio.accountSid,
    TWILIO_AUTH_TOKEN: options.twilio.authToken,
    TWILIO_PHONE_NUMBER: BENCH_FROM_NUMBER,
    TWILIO_API_BASE: options.twilio.apiBase,
    WEBHOOK_BASE_URL: BENCH_WEBHOOK_BASE,
    OPENAI_API_KEY: "sk-bench",
    OPENAI_REALTIME_URL: options.realtimeUrl,
    MAX_CONCURRENT_CALLS: String(options.maxCalls),
    CALL_MAX_MINUTES: String(options.callMinutes),
  };
}
