import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import { createLogger, maskPhone } from "../../src/logger";

describe("config", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, HOST: "0.0.0.0", DATABASE_URL: "./data/prospecta.db", TZ: "America/Mexico_City" });
    expect(config.ADMIN_API_TOKEN).toBeUndefined();
  });

  it("reads .env.example as it is: empty values are unset, except QUIET_HOURS where empty turns them off", () => {
    const config = loadConfig({ LLM_PROVIDER: "", TELEGRAM_ADMIN_IDS: "", PORT: "", QUIET_HOURS: "" });
    expect(config.LLM_PROVIDER).toBeUndefined();
    expect(config).toMatchObject({ TELEGRAM_ADMIN_IDS: [], PORT: 3000, QUIET_HOURS: "" });
    expect(loadConfig({}).QUIET_HOURS).toBe("21:00-09:00");
  });

  it("stops with a message naming each bad variable", () => {
    try {
      loadConfig({ PORT: "abc", TZ: "Mars/Olympus" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/PORT/);
      expect((error as ConfigError).message).toMatch(/TZ/);
    }
  });

  it("takes DATABASE_URL as a SQLite file or a PostgreSQL URL, refusing any other URL instead of making a file of it", () => {
    const token = { ADMIN_API_TOKEN: "token-de-administracion-0123456789" };
    expect(loadConfig({ DATABASE_URL: "postgres://prospecta@db.example/prospecta", ...token }).DATABASE_URL).toBe("postgres://prospecta@db.example/prospecta");
    expect(loadConfig({ DATABASE_URL: "postgresql://prospecta@db.example:5433/prospecta", ...token }).DATABASE_URL).toMatch(/^postgresql:/);
    // Instances sharing PostgreSQL share no folder where a generated token could be kept.
    expect(() => loadConfig({ DATABASE_URL: "postgres://prospecta@db.example/prospecta" })).toThrow(/ADMIN_API_TOKEN: obligatorio con PostgreSQL/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x@y/z" })).toThrow(/DATABASE_URL: debe ser la ruta de un archivo SQLite/);
    expect(loadConfig({ DATABASE_URL: "./data/otra.db" }).DATABASE_URL).toBe("./data/otra.db");
  });

  it("takes the dashboard's first admin as both variables or neither, and never repeats the password in a message", () => {
    expect(loadConfig({ DASHBOARD_ADMIN_EMAIL: " admin@agencia.mx ", DASHBOARD_ADMIN_PASSWORD: "una-clave-larga" })).toMatchObject({
      DASHBOARD_ADMIN_EMAIL: "admin@agencia.mx",
      DASHBOARD_ADMIN_PASSWORD: "una-clave-larga",
    });
    expect(loadConfig({ DASHBOARD_ADMIN_EMAIL: "", DASHBOARD_ADMIN_PASSWORD: "" }).DASHBOARD_ADMIN_EMAIL).toBeUndefined();
    expect(() => loadConfig({ DASHBOARD_ADMIN_EMAIL: "admin@agencia.mx" })).toThrow(/DASHBOARD_ADMIN_PASSWORD: se necesitan/);
    expect(() => loadConfig({ DASHBOARD_ADMIN_PASSWORD: "una-clave-larga" })).toThrow(/DASHBOARD_ADMIN_EMAIL: se necesitan/);
    expect(() => loadConfig({ DASHBOARD_ADMIN_EMAIL: "admin", DASHBOARD_ADMIN_PASSWORD: "una-clave-larga" })).toThrow(/DASHBOARD_ADMIN_EMAIL: debe ser un correo/);
    try {
      loadConfig({ DASHBOARD_ADMIN_EMAIL: "admin@agencia.mx", DASHBOARD_ADMIN_PASSWORD: "secreto-9" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).message).toMatch(/DASHBOARD_ADMIN_PASSWORD: debe tener al menos 12 caracteres/);
      expect((error as ConfigError).message).not.toContain("secreto-9");
    }
  });
});

/** A real logger writing into memory. */
function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger("info", sink), lines };
}

describe("logs", () => {
  it("mask phone numbers and keep dates readable", () => {
    expect(maskPhone("llamando a +5215512345678")).toBe("llamando a +52*********78");
    expect(maskPhone("el 2026-01-15 a las 10:00")).toBe("el 2026-01-15 a las 10:00");
  });

  it("cut a bot token or an API key even inside an error's message and cause", () => {
    const { log, lines } = capturedLogger();
    const cause = new Error("request to https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage failed");
    log.error({ err: new Error("Network request failed with key sk-proj-abcdefghijklmnop", { cause }) }, "send failed");
    const out = lines.join("");
    expect(out).not.toContain("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw");
    expect(out).not.toContain("sk-proj-abcdefghijklmnop");
    expect(out).toContain("bot[redacted]");
  });

  it("never carry the bearer token or a phone", () => {
    const { log, lines } = capturedLogger();
    log.info({ req: { method: "GET", url: "/api/v1/leads?q=%2B525512345678", headers: { authorization: "Bearer secret-token" } } }, "search");
    log.info({ lead: { phone: "+525512345678" } }, "call to +525512345678");
    const out = lines.join("");
    expect(out).not.toContain("secret-token");
    expect(out).not.toContain("525512345678");
    expect(out).toContain("+52********78");
  });
});
