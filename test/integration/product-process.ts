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

export function startProductProcess(env: Record<string, string>): Promise<ProductProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
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
  });
}
