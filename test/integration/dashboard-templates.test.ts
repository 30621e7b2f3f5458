/**
 * The dashboard's Plantillas pages over real HTTP: an admin creates, edits and deletes a template,
 * audited with the person; anyone signed in previews it for a lead found by a search, with the
 * variables that lead has no value for; an asesor changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInToDashboard, type DashboardClient } from "./dashboard-client";
import { startTestServer, type TestServer } from "./test-server";

const ADMIN = { email: "direccion@agencia.mx", password: "una-clave-de-arranque" };
const ASESOR = { email: "asesora@agencia.mx", password: "otra-clave-de-asesora" };

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { DASHBOARD_ADMIN_EMAIL: ADMIN.email, DASHBOARD_ADMIN_PASSWORD: ADMIN.password, PROSPECTA_ROLES: "api" } });
  await server.prospecta.services.accounts.createUser({ ...ASESOR, name: "Laura Asesora", role: "asesor" }, ADMIN.email);
});
afterAll(async () => {
  await server?.close();
});

const templateForm = { name: "Seguimiento", channel: "telegram", content: "Hola {{first_name}}, ¿sigues buscando en {{location}}?", agent_type: "", whatsapp_content_sid: "", whatsapp_variables: "" };

const auditActors = (action: string, id: number) =>
  server.sql("SELECT actor FROM audit_logs WHERE action = ? AND entity = 'template' AND entity_id = ?", action, id);

describe("templates in the dashboard", () => {
  let admin: DashboardClient;
  let id: number;

  beforeAll(async () => {
    admin = await signInToDashboard(server, ADMIN);
  });

  it("creates a template from the form, finding its variables, audited with the person", async () => {
    const response = await admin.post("/admin/plantillas/nueva", templateForm);
    expect(response.status).toBe(303);
    id = Number(response.headers.get("location")!.split("/").at(-1));
    expect((await server.api("GET", `/templates/${id}`)).body).toMatchObject({ name: "Seguimiento", channel: "telegram", agent_type: null, variables: ["first_name", "location"] });
    expect(await auditActors("template.create", id)).toEqual([{ actor: `web:${ADMIN.email}` }]);
    const list = await (await admin.get("/admin/plantillas")).text();
    expect(list).toContain(`<a href="/admin/plantillas/${id}">Seguimiento</a>`);
    expect(list).toContain("first_name, location");
  });

  it("refuses what the API refuses, naming the field", async () => {
    const empty = await admin.post("/admin/plantillas/nueva", { ...templateForm, content: "   " });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("Contenido:");
    const sid = await admin.post("/admin/plantillas/nueva", { ...templateForm, channel: "whatsapp", whatsapp_content_sid: "HX123" });
    expect(sid.status).toBe(400);
    expect(await sid.text()).toContain("Plantilla aprobada de WhatsApp (SID): SID de contenido de Twilio");
  });

  it("edits a template, flagging a variable it cannot fill", async () => {
    const response = await admin.post(`/admin/plantillas/${id}/editar`, { ...templateForm, content: "Hola {{first_name}}, tu asesor es {{asesor}}", agent_type: "seguimiento" });
    expect(response.status).toBe(303);
    expect((await server.api("GET", `/templates/${id}`)).body).toMatchObject({ agent_type: "seguimiento", variables: ["first_name", "asesor"] });
    expect(await auditActors("template.update", id)).toEqual([{ actor: `web:${ADMIN.email}` }]);
    const page = await (await admin.get(`/admin/plantillas/${id}`)).text();
    expect(page).toContain("<li><code>{{asesor}}</code> (desconocida: se mostrará vacía)</li>");
  });

  it("previews the template for a lead found by a search, with the variables that lead lacks", async () => {
    await server.api("PUT", `/templates/${id}`, { content: "Hola {{first_name}}, ¿sigues buscando en {{location}}?" });
    const lead = (await server.api("POST", "/leads", { name: "Carmen Díaz" })).body;

    const found = await admin.get(`/admin/plantillas/${id}/leads?q=Carmen`, { "hx-request": "true" });
    expect(found.status).toBe(200);
    const results = await found.text();
    expect(results).not.toContain("<html");
    expect(results).toContain(`hx-get="/admin/plantillas/${id}/vista-previa?lead_id=${lead.id}"`);
    expect(results).toContain("Ver con Carmen Díaz</a> (Entrada)");
    expect(await (await admin.get(`/admin/plantillas/${id}/leads?q=Nadie`, { "hx-request": "true" })).text()).toContain("Ningún lead coincide con «Nadie».");

    const preview = await (await admin.get(`/admin/plantillas/${id}/vista-previa?lead_id=${lead.id}`, { "hx-request": "true" })).text();
    expect(preview).toContain("Así lo recibiría Carmen Díaz");
    expect(preview).toContain("Hola Carmen, ¿sigues buscando en la zona que te interesa?");
    expect(preview).toContain("<li><code>{{location}}</code></li>");

    // Without JavaScript the same search and choice are GETs of the page.
    const page = await (await admin.get(`/admin/plantillas/${id}?q=Carmen&lead_id=${lead.id}`)).text();
    expect(page).toContain("Ver con Carmen Díaz");
    expect(page).toContain("Hola Carmen, ¿sigues buscando en la zona que te interesa?");
    expect((await admin.get(`/admin/plantillas/${id}/vista-previa?lead_id=99999`, { "hx-request": "true" })).status).toBe(404);
  });

  it("lets an asesor read and preview, and refuses their changes", async () => {
    const asesor = await signInToDashboard(server, ASESOR);
    const page = await (await asesor.get(`/admin/plantillas/${id}`)).text();
    expect(page).toContain("Vista previa para un lead");
    expect(page).not.toContain("Borrar plantilla");
    expect((await asesor.get("/admin/plantillas/nueva")).status).toBe(403);
    expect((await asesor.post("/admin/plantillas/nueva", templateForm)).status).toBe(403);
    expect((await asesor.post(`/admin/plantillas/${id}/editar`, { ...templateForm, name: "Otra" })).status).toBe(403);
    expect((await asesor.post(`/admin/plantillas/${id}/borrar`, {})).status).toBe(403);
    expect((await server.api("GET", `/templates/${id}`)).body.name).toBe("Seguimiento");
  });

  it("deletes a template only with the CSRF token, and not while a campaign sends it", async () => {
    expect((await admin.post(`/admin/plantillas/${id}/borrar`, {}, { csrf: null })).status).toBe(403);
    const campaign = (await server.api("POST", "/campaigns", { name: "Usa la plantilla", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } })).body;
    await server.api("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "send_message", message_template_id: id, delay_hours: 0 });
    const refused = await admin.post(`/admin/plantillas/${id}/borrar`, {});
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("No se puede borrar: la usan estas campañas");

    await server.api("PUT", `/campaigns/${campaign.id}`, { status: "archived" });
    const deleted = await admin.post(`/admin/plantillas/${id}/borrar`, {});
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get("location")).toBe("/admin/plantillas");
    expect((await server.api("GET", `/templates/${id}`)).status).toBe(404);
    expect(await auditActors("template.delete", id)).toEqual([{ actor: `web:${ADMIN.email}` }]);
  });
});
