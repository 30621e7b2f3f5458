/** Runs the product (src/main.ts) as its own process, as `npm start` does, until it listens. */
import { spawn, type ChildProcess } from "node:child_process";

export interface ProductProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything the process printed so far (its logs). */
  output(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Ready when it logs that it listens; with a fixed PORT in `env`, when its /healthz answers
 * instead (so it also works at log levels that do not print the listening line).
 */
export function startProductProcess(
  env: Record<string, string>,
  { nodeArgs = [] as string[], compiled = false } = {},
): Promise<ProductProcess> {
  // compiled: exactly what `npm start` runs (scripts/start.mjs: dist/, built first when stale), for benches.
  // Tests run the sources through tsx, so a test never waits on a build or races one.
  const entry = compiled ? ["scripts/start.mjs"] : ["--import", "tsx", "src/main.ts"];
  const child = spawn(process.execPath, [...nodeArgs, ...entry], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const stop = (signal: NodeJS.Signals = "SIGTERM") =>
    new Promise<number | null>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
      child.once("exit", (code) => done(code));
      child.kill(signal);
    });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) resolve({ child, baseUrl: match[1]!, stop, output: () => output });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
    const port = env.PORT;
    if (port && port !== "0") {
      const baseUrl = `http://127.0.0.1:${port}`;
      const poll = async () => {
        while (child.exitCode === null && child.signalCode === null) {
          const live = await fetch(`${baseUrl}/healthz`).then((response) => response.ok, () => false);
          if (live) return resolve({ child, baseUrl, stop, output: () => output });
          await new Promise((wait) => setTimeout(wait, 50));
        }
      };
      void poll();
    }
  });
}

/** The admin API of a product process: JSON in and out with the bearer token; a refused call fails the test with its answer. */
export function adminApi(token: string) {
  return async <T = { id: number }>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
}

/** What product processes need to send on Telegram through the fake, with its rate limit lifted. */
export function telegramProcessEnv(telegram: { token: string; apiRoot: string }): Record<string, string> {
  return { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, TELEGRAM_MAX_PER_SECOND: "0", QUIET_HOURS: "" };
}

/** What product processes need to place calls through the fake Twilio, with the offline agent. */
export function twilioVoiceProcessEnv(twilio: { accountSid: string; authToken: string; apiBase: string }): Record<string, string> {
  return {
    VOICE_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_PHONE_NUMBER: "+525500000000",
    WEBHOOK_BASE_URL: "https://voz.example",
    TWILIO_API_BASE: twilio.apiBase,
    LLM_PROVIDER: "offline",
  };
}

/** The error lines a process logged (pino level 50 and above). */
export function errorLines(product: ProductProcess): string[] {
  return product.output().split("\n").filter((line) => /"level":(50|60)/.test(line));
}
