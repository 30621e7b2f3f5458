/**
 * DASHBOARD_ADMIN_EMAIL and DASHBOARD_ADMIN_PASSWORD at start: a process with
 * the api role creates that admin (once per database, test/integration/accounts.test.ts);
 * the others leave accounts alone.
 */
import { describe, expect, it } from "vitest";
import { startTestServer } from "./test-server";

const env = { DASHBOARD_ADMIN_EMAIL: "Direccion@Agencia.mx", DASHBOARD_ADMIN_PASSWORD: "una-clave-de-arranque" };

describe("the dashboard's first admin at start", () => {
  it("is created by a process with the api role, and can sign in", async () => {
    const server = await startTestServer({ env: { ...env, PROSPECTA_ROLES: "api" } });
    try {
      const { accounts } = server.prospecta.services;
      expect(await accounts.listUsers()).toEqual([expect.objectContaining({ email: "direccion@agencia.mx", role: "admin" })]);
      expect(await accounts.hasAccounts()).toBe(true);
      const signedIn = await accounts.signIn("direccion@agencia.mx", "una-clave-de-arranque", "127.0.0.1");
      expect(await accounts.sessionFor(signedIn.token)).toMatchObject({ user: { email: "direccion@agencia.mx" } });
    } finally {
      await server.close();
    }
  });

  it("is left to the api processes by the others", async () => {
    const server = await startTestServer({ env: { ...env, PROSPECTA_ROLES: "worker" } });
    try {
      expect(await server.prospecta.services.accounts.listUsers()).toEqual([]);
      expect(await server.prospecta.services.accounts.hasAccounts()).toBe(false);
      expect(await server.sql("SELECT key FROM app_state WHERE key = 'dashboard_first_admin_created_at'")).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
