/**
 * Usuarios over real HTTP (web/routes/users.ts): only admins see it; an admin creates an asesor
 * with the labelled form, sees problems in Spanish, disables the account (its sessions end at
 * once) and enables it again, and cannot disable their own. Runs on SQLite, and on PostgreSQL
 * with TEST_DATABASE=postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_ADMIN, signInAsAdmin, signInToDashboard, startDashboardServer, type DashboardSession } from "./dashboard-session";
import type { TestServer } from "./test-server";

const EMAIL = DASHBOARD_ADMIN.email;
const ASESOR = { correo: "julia@agencia.mx", nombre: "Julia Ruiz", rol: "asesor", contrasena: "clave-de-julia-2026" };

let server: TestServer;
let admin: DashboardSession;

beforeAll(async () => {
  server = await startDashboardServer();
  admin = await signInAsAdmin(server);
});
afterAll(async () => {
  await server?.close();
});

describe("Usuarios", () => {
  let juliaId: number;

  it("lists the accounts, and has a form labelled Correo, Nombre, Rol and Contraseña inicial", async () => {
    const response = await admin.get("/admin/usuarios");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`<th scope="row">${EMAIL}</th>`);
    expect(html).toContain("Administrador (admin)");
    expect(html).toContain("Tu cuenta");
    for (const [id, label] of [["correo", "Correo"], ["nombre", "Nombre"], ["rol", "Rol"], ["contrasena", "Contraseña inicial"]]) {
      expect(html).toContain(`<label for="${id}">${label}</label>`);
    }
    expect(html).toContain('<option value="asesor"');
    expect(html).toContain('<option value="admin"');
    expect(html).toContain('aria-current="page">Usuarios</a>');
  });

  it("creates an asesor, audited with the admin as actor, and says so", async () => {
    const created = await admin.post("/admin/usuarios", ASESOR);
    expect(created.status).toBe(303);
    const location = created.headers.get("location")!;
    expect(location).toMatch(/^\/admin\/usuarios\?creado=\d+$/);
    juliaId = Number(location.split("=")[1]);
    const html = await (await admin.get(location)).text();
    expect(html).toContain("Se creó la cuenta de julia@agencia.mx.");
    expect(html).toMatch(/<th scope="row">julia@agencia\.mx<\/th>\s*<td>Julia Ruiz<\/td>\s*<td>Asesor \(asesor\)<\/td>\s*<td>Activa<\/td>\s*<td>Nunca<\/td>/);
    const [audit] = await server.sql("SELECT actor, action FROM audit_logs WHERE entity = 'user' AND entity_id = ?", juliaId);
    expect(audit).toEqual({ actor: `web:${EMAIL}`, action: "user.create" });
  });

  it("shows what is wrong with a new account in Spanish, keeping what was typed but the password", async () => {
    const response = await admin.post("/admin/usuarios", { correo: "no-es-correo", nombre: "Pedro", rol: "asesor", contrasena: "corta" });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("Escribe un correo válido.");
    expect(html).toContain("La contraseña debe tener al menos 12 caracteres.");
    expect(html).toContain('value="no-es-correo"');
    expect(html).toContain('value="Pedro"');
    expect(html).not.toContain('value="corta"');
    expect(html).toMatch(/id="correo"[^>]*aria-invalid="true"/);

    const missing = await admin.post("/admin/usuarios", { correo: "", nombre: "", rol: "jefe", contrasena: "" });
    expect(missing.status).toBe(400);
    const text = await missing.text();
    for (const message of ["Escribe el correo.", "Escribe el nombre.", "Elige el rol: admin o asesor.", "Escribe la contraseña inicial."]) expect(text).toContain(message);

    const duplicate = await admin.post("/admin/usuarios", { ...ASESOR, correo: "JULIA@agencia.mx" });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.text()).toContain("Ya existe un usuario con ese correo.");
  });

  it("gives an asesor 403 on Usuarios and keeps it out of the navigation", async () => {
    const julia = await signInToDashboard(server.baseUrl, ASESOR.correo, ASESOR.contrasena);
    const page = await julia.get("/admin/usuarios");
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("Solo un administrador puede hacer esto.");
    expect((await julia.post("/admin/usuarios", { ...ASESOR, correo: "otro@agencia.mx" })).status).toBe(403);
    expect((await julia.post(`/admin/usuarios/${juliaId}/desactivar`, {})).status).toBe(403);
    const board = await (await julia.get("/admin/metricas")).text();
    expect(board).not.toContain('href="/admin/usuarios"');
    expect(board).toContain("Métricas");
  });

  it("disables an account, ending its sessions at once, and enables it again", async () => {
    const julia = await signInToDashboard(server.baseUrl, ASESOR.correo, ASESOR.contrasena);
    expect((await julia.get("/admin/metricas")).status).toBe(200);

    const disabled = await admin.post(`/admin/usuarios/${juliaId}/desactivar`, {});
    expect(disabled.status).toBe(303);
    const html = await (await admin.get(disabled.headers.get("location")!)).text();
    expect(html).toContain("Se desactivó la cuenta de julia@agencia.mx.");
    expect(html).toMatch(/<td>Desactivada desde [^<]+<\/td>/);
    expect(html).toContain('aria-label="Activar a julia@agencia.mx"');
    // Her open session is gone, and she cannot sign in again.
    expect((await julia.get("/admin/metricas")).status).toBe(303);
    await expect(signInToDashboard(server.baseUrl, ASESOR.correo, ASESOR.contrasena)).rejects.toThrow(/401/);

    const enabled = await admin.post(`/admin/usuarios/${juliaId}/activar`, {});
    expect(enabled.status).toBe(303);
    expect(await (await admin.get(enabled.headers.get("location")!)).text()).toContain("Se activó la cuenta de julia@agencia.mx.");
    await signInToDashboard(server.baseUrl, ASESOR.correo, ASESOR.contrasena);
    const audits = await server.sql("SELECT actor, action FROM audit_logs WHERE entity = 'user' AND entity_id = ? ORDER BY id", juliaId);
    expect(audits.map((row) => row.action)).toEqual(["user.create", "user.disable", "user.enable"]);
    expect(new Set(audits.map((row) => row.actor))).toEqual(new Set([`web:${EMAIL}`]));
  });

  it("refuses to disable your own account, with the reason, and needs the CSRF token", async () => {
    const [me] = await server.sql<{ id: number }>("SELECT id FROM users WHERE email = ?", EMAIL);
    const refused = await admin.post(`/admin/usuarios/${me!.id}/desactivar`, {});
    expect(refused.status).toBe(409);
    const html = await refused.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("No puedes desactivar tu propia cuenta.");
    expect((await admin.get("/admin/usuarios")).status).toBe(200);

    const noToken = await fetch(`${server.baseUrl}/admin/usuarios/${juliaId}/desactivar`, { method: "POST", redirect: "manual", headers: { cookie: admin.cookie } });
    expect(noToken.status).toBe(403);
    const missing = await admin.post("/admin/usuarios/999999/desactivar", {});
    expect(missing.status).toBe(404);
  });
});
