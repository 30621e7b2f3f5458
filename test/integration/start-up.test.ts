/** `npm start` on a fresh data directory: migrate, seed once, generate the admin token once, serve. */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "prospecta-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  output: string;
  baseUrl: string | null;
  exitCode: number | null;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Runs src/main.ts until it listens (or exits), with a clean environment plus `env`. */
function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve) => {
    const stop = () =>
      new Promise<number | null>((done) => {
        if (child.exitCode !== null) return done(child.exitCode);
        child.once("exit", (code) => done(code));
        child.kill("SIGTERM");
      });
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) resolve({ output, baseUrl: match[1]!, exitCode: null, stop });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => resolve({ output, baseUrl: null, exitCode: code, stop }));
  });
}

describe("npm start", () => {
  const databaseUrl = join(dir, "data", "prospecta.db");

  it("creates the database, seeds the samples, prints a generated token once and serves", async () => {
    const first = await start({ DATABASE_URL: databaseUrl });
    try {
      expect(first.baseUrl).not.toBeNull();
      const token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
      expect(first.output).toContain(`Token de administrador generado (ADMIN_API_TOKEN): ${token}`);
      // The token is shown once on the terminal, never inside a JSON log line.
      expect(first.output.split("\n").filter((line) => line.includes(token))).toHaveLength(1);

      const campaigns = await (await fetch(`${first.baseUrl}/api/v1/campaigns`, { headers: { authorization: `Bearer ${token}` } })).json();
      expect(campaigns).toEqual([expect.objectContaining({ name: "Bienvenida Leads Nuevos", status: "draft" })]);
      const templates = (await (await fetch(`${first.baseUrl}/api/v1/templates`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[];
      expect(templates.length).toBeGreaterThanOrEqual(3);
      // Started as npm start starts it, the instance is ready for traffic.
      const ready = await fetch(`${first.baseUrl}/readyz`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: "ready", checks: { database: true, migrations: true, jobs: true } } });
    } finally {
      // SIGTERM: a clean exit, well within the 10 s limit.
      const started = Date.now();
      expect(await first.stop()).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
    }

    const second = await start({ DATABASE_URL: databaseUrl });
    try {
      expect(second.output).not.toContain("Token de administrador generado");
      const token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
      const campaigns = await (await fetch(`${second.baseUrl}/api/v1/campaigns`, { headers: { authorization: `Bearer ${token}` } })).json();
      expect(campaigns).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });

  it("refuses to start on an invalid variable, naming it", async () => {
    const result = await start({ DATABASE_URL: databaseUrl, PORT: "http" });
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(/PORT/);
  });
});
