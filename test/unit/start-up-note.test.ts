import { describe, expect, it } from "vitest";
import { startUpNote, type StartUpNoteInput } from "../../src/start-up-note";

const base: StartUpNoteInput = { host: "0.0.0.0", port: 3000, api: true, dashboard: false, tokenFile: "/srv/prospecta/data/admin-token", tokenGenerated: false, cwd: "/srv/prospecta" };

describe("what npm start prints once it listens", () => {
  it("says where the API docs are and where the token is kept, never the token", () => {
    expect(startUpNote(base)).toBe(
      "Prospecta escucha en http://localhost:3000\n" +
        "  Documentación de la API: http://localhost:3000/docs\n" +
        "  Token de administrador: en data/admin-token\n",
    );
  });

  it("says how to make the dashboard's first admin while it has no account", () => {
    const hint = "Aún no hay usuarios: define DASHBOARD_ADMIN_EMAIL y DASHBOARD_ADMIN_PASSWORD";
    expect(startUpNote({ ...base, dashboard: true, dashboardWithoutAccounts: true })).toContain(hint);
    expect(startUpNote({ ...base, dashboard: true, dashboardWithoutAccounts: false })).not.toContain(hint);
    expect(startUpNote({ ...base, dashboard: false, dashboardWithoutAccounts: true })).not.toContain(hint);
  });

  it("adds the dashboard when it is mounted", () => {
    expect(startUpNote({ ...base, dashboard: true })).toContain("  Panel de administración: http://localhost:3000/admin\n");
  });

  it.each([
    [{ tokenFile: null }, "el de ADMIN_API_TOKEN"],
    [{ tokenFile: null, tokenGenerated: true }, "el generado arriba (base en memoria: cambiará al reiniciar)"],
    [{ tokenFile: "/var/lib/prospecta/admin-token" }, "en /var/lib/prospecta/admin-token"],
  ] as const)("names the token's source: %o", (change, source) => {
    expect(startUpNote({ ...base, ...change })).toContain(`Token de administrador: ${source}\n`);
  });

  it("shows the host it listens on, and only the address without the api role", () => {
    expect(startUpNote({ ...base, host: "127.0.0.1", port: 3001, api: false })).toBe("Prospecta escucha en http://127.0.0.1:3001\n");
    expect(startUpNote({ ...base, host: "::1", api: false })).toBe("Prospecta escucha en http://[::1]:3000\n");
  });
});
