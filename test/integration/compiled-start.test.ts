/**
 * `npm start` runs the compiled product (scripts/start.mjs → dist/): it builds
 * dist/ first when it is stale, then serves from it with plain node, its
 * live-audio process too, says where to go next, and ends cleanly on SIGTERM.
 * (The other process tests run the sources with tsx, as `npm run dev` does.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startFakeTwilio } from "../fakes/twilio-rest";
import { createTestDatabase } from "../support/test-database";
import { twilioVoiceProcessEnv } from "./product-process";

const ROOT = resolve(import.meta.dirname, "../..");
const STAMP = join(ROOT, "dist", ".build-stamp.json");
const TOKEN = "compiled-start-admin-token-0123456789";
const dir = mkdtempSync(join(tmpdir(), "prospecta-compiled-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  baseUrl: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** `npm start` without npm, in a clean environment plus `env`, until it prints where it listens. */
function npmStart(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ADMIN_API_TOKEN: TOKEN, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const stop = () =>
    new Promise<number | null>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
      child.once("exit", (code) => done(code));
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/^Prospecta escucha en (http:\/\/127\.0\.0\.1:\d+)\n/m);
      if (match) resolve({ child, baseUrl: match[1]!, output: () => output, stop });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
}

/** The command lines of a process's children, from /proc. */
function childCommandLines(pid: number): string[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid ? [commandLine(Number(entry))] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

describe("npm start, compiled", () => {
  it("builds a stale dist/, serves from it without tsx (its audio process too) and exits 0 on SIGTERM", { timeout: 90_000 }, async () => {
    // Stale as after an edit of src/main.ts: its time no longer matches the stamp's.
    if (existsSync(STAMP)) {
      const stamp = JSON.parse(readFileSync(STAMP, "utf8")) as { inputs: Record<string, [number, number]> };
      stamp.inputs["src/main.ts"] = [stamp.inputs["src/main.ts"]![0], 0];
      writeFileSync(STAMP, JSON.stringify(stamp));
    }
    const twilio = await startFakeTwilio();
    const database = await createTestDatabase(dir, "compiled");
    const product = await npmStart({
      DATABASE_URL: database.url,
      ...twilioVoiceProcessEnv(twilio),
    });
    try {
      // Why it builds: src/main.ts changed, or (a clean clone) there is no dist/ yet, or another source changed meanwhile.
      expect(product.output()).toMatch(/Compilando Prospecta en dist\/ \(.+\)/);
      expect((await fetch(`${product.baseUrl}/healthz`)).status).toBe(200);
      expect(product.output()).toContain(`Documentación de la API: ${product.baseUrl}/docs`);
      expect(product.output()).toContain("Token de administrador: el de ADMIN_API_TOKEN");
      expect(product.output()).not.toContain(TOKEN);
      // The dashboard's templates and stylesheet were copied into dist/web/ beside its compiled code.
      const signIn = await fetch(`${product.baseUrl}/admin/entrar`);
      expect(signIn.status).toBe(200);
      expect(await signIn.text()).toContain('<label for="correo">Correo</label>');
      expect((await fetch(`${product.baseUrl}/admin/assets/app.css`)).status).toBe(200);

      const audioLine = product.output().split("\n").find((line) => line.includes('"msg":"audio process ready"'));
      expect(audioLine).toBeDefined();
      const audioPid = (JSON.parse(audioLine!) as { audio_pid: number }).audio_pid;
      expect(commandLine(audioPid)).toContain(join(ROOT, "dist", "voice", "audio-process.js"));
      // Nothing compiles TypeScript: no tsx loader on either command line, no esbuild service beside them.
      const pids = [product.child.pid!, audioPid];
      for (const pid of pids) expect(commandLine(pid)).not.toMatch(/tsx/);
      for (const pid of pids) expect(childCommandLines(pid).filter((line) => /esbuild|tsx/.test(line))).toEqual([]);

      expect(await product.stop()).toBe(0);
      expect(existsSync(`/proc/${audioPid}`)).toBe(false);
    } finally {
      await product.stop();
      await twilio.close();
      await database.drop();
    }
  });

  it("starts at once on an up-to-date dist/", { timeout: 30_000 }, async () => {
    const database = await createTestDatabase(dir, "compiled-again");
    const product = await npmStart({ DATABASE_URL: database.url });
    try {
      expect(product.output()).not.toContain("Compilando");
      expect((await fetch(`${product.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      expect(await product.stop()).toBe(0);
      await database.drop();
    }
  });
});
