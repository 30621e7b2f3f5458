/** What the benchmarks share: the fake Telegram in its own process, and the product on a temporary database. */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { buildProspecta, type Prospecta } from "../../src/prospecta";

export interface FakeTelegramProcess {
  child: ChildProcess;
  apiRoot: string;
  token: string;
}

export async function startFakeTelegramProcess(token: string): Promise<FakeTelegramProcess> {
  const child = fork(join(import.meta.dirname, "../fakes/run-fake-telegram.ts"), [token], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const ready = await new Promise<{ apiRoot: string; token: string }>((resolve) =>
    child.stdout!.once("data", (chunk: Buffer) => resolve(JSON.parse(chunk.toString()))),
  );
  return { child, ...ready };
}

/** The product with Telegram pointed at `telegram` (limits lifted, no quiet hours), on a temporary SQLite file. */
export async function buildBenchProspecta(
  name: string,
  telegram: { apiRoot: string; token: string } | null,
  env: Record<string, string> = {},
): Promise<{ prospecta: Prospecta; cleanUp: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `prospecta-bench-${name}-`));
  const prospecta = await buildProspecta(
    loadConfig({
      DATABASE_URL: join(dir, "bench.db"),
      ADMIN_API_TOKEN: "bench-token-0123456789",
      LOG_LEVEL: "silent",
      QUIET_HOURS: "",
      ...(telegram && { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, TELEGRAM_MAX_PER_SECOND: "0" }),
      ...env,
    }),
    { seedSamples: false },
  );
  return {
    prospecta,
    async cleanUp() {
      await prospecta.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
