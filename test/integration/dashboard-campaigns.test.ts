/**
 * The dashboard's Campañas pages over real HTTP, on SQLite and (TEST_DATABASE=postgres) PostgreSQL:
 * an admin creates a campaign, adds, edits and removes steps, activates it and reads its figures per
 * day; a step cannot change while the campaign is active; an asesor reads but changes nothing; every
 * change needs the page's CSRF token and is audited with the person.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, TELEGRAM_ERRORS, type FakeTelegram } from "../fakes/telegram-bot-api";
import { signInToDashboard, type DashboardClient } from "./dashboard-client";
import { startTestServer, telegramEnv, type TestServer } from "./test-server";

const ADMIN = { email: "direccion@agencia.mx", password: "una-clave-de-arranque" };
const ASESOR = { email: "asesora@agencia.mx", password: "otra-clave-de-asesora" };
const DAY = 86_400_000;

let server: TestServer;
let telegram: FakeTelegram;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  server = await startTestServer({
    env: { ...telegramEnv(telegram), DASHBOARD_ADMIN_EMAIL: ADMIN.email, DASHBOARD_ADMIN_PASSWORD: ADMIN.password, PROSPECTA_ROLES: "api" },
  });
  await server.prospecta.services.accounts.createUser({ ...ASESOR, name: "Laura Asesora", role: "asesor" }, ADMIN.email);
});
afterAll(async () => {
  await server?.close();
  await telegram?.close();
});

interface ByDay {
  time_zone: string;
  days: { day: string; executed: number; success: number; failed: number }[];
}

const campaignForm = {
  name: "Bienvenida desde el tablero",
  description: "Para los leads que acaban de entrar",
  channel: "telegram",
  triggered_by: "stage_change",
  stage: "entrada",
  score_min: "",
  score_max: "",
  inactivity_days: "",
};

const auditOf = (action: string, id: number) =>
  server.sql("SELECT actor FROM audit_logs WHERE action = ? AND entity = 'campaign' AND entity_id = ? ORDER BY id", action, id);

describe("campaigns in the dashboard", () => {
  let admin: DashboardClient;
  let campaignId: number;
  let templateId: number;
  let stepId: number;

  beforeAll(async () => {
    admin = await signInToDashboard(server, ADMIN);
    const template = await server.api("POST", "/templates", { name: "Bienvenida", channel: "telegram", content: "Hola {{first_name}}, gracias por escribirnos." });
    templateId = template.body.id;
    await server.api("POST", "/templates", { name: "Solo WhatsApp", channel: "whatsapp", content: "Hola por WhatsApp" });
  });

  it("creates a campaign from the form, as a draft, audited with the person", async () => {
    const response = await admin.post("/admin/campanas/nueva", campaignForm);
    expect(response.status).toBe(303);
    const location = response.headers.get("location")!;
    expect(location).toMatch(/^\/admin\/campanas\/\d+$/);
    campaignId = Number(location.split("/").at(-1));
    const campaign = (await server.api("GET", `/campaigns/${campaignId}`)).body;
    expect(campaign).toMatchObject({ name: campaignForm.name, status: "draft", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } });
    expect(await auditOf("campaign.create", campaignId)).toEqual([{ actor: `web:${ADMIN.email}` }]);

    const list = await (await admin.get("/admin/campanas")).text();
    expect(list).toContain(`<a href="/admin/campanas/${campaignId}">Bienvenida desde el tablero</a>`);
    expect(list).toContain("Al entrar a Entrada");
    expect(list).toContain("Borrador");
  });

  it("refuses a trigger condition the API refuses, naming the field", async () => {
    const before = (await server.api("GET", "/campaigns")).body.length;
    const scores = await admin.post("/admin/campanas/nueva", { ...campaignForm, triggered_by: "lead_score", score_min: 60, score_max: 40 }, { htmx: true });
    expect(scores.status).toBe(400);
    expect(scores.headers.get("hx-retarget")).toBe("#avisos");
    const alert = await scores.text();
    expect(alert).toContain('role="alert"');
    expect(alert).toContain("Puntaje mínimo: score_min debe ser menor o igual que score_max");
    const days = await admin.post("/admin/campanas/nueva", { ...campaignForm, triggered_by: "inactivity", inactivity_days: 0 });
    expect(days.status).toBe(400);
    expect(await days.text()).toContain("Días sin actividad:");
    const missing = await admin.post("/admin/campanas/nueva", { ...campaignForm, triggered_by: "lead_score" });
    expect(missing.status).toBe(400);
    expect((await server.api("GET", "/campaigns")).body.length).toBe(before);
  });

  it("accepts a score trigger and an inactivity trigger as the API does", async () => {
    const score = await admin.post("/admin/campanas/nueva", { ...campaignForm, name: "Tibios", triggered_by: "lead_score", score_min: 20, score_max: 50 });
    expect(score.status).toBe(303);
    const id = Number(score.headers.get("location")!.split("/").at(-1));
    expect((await server.api("GET", `/campaigns/${id}`)).body.trigger_condition).toEqual({ score_min: 20, score_max: 50 });
    const edited = await admin.post(`/admin/campanas/${id}/editar`, { ...campaignForm, name: "Dormidos", triggered_by: "inactivity", inactivity_days: 30 });
    expect(edited.status).toBe(303);
    expect((await server.api("GET", `/campaigns/${id}`)).body).toMatchObject({ name: "Dormidos", triggered_by: "inactivity", trigger_condition: { inactivity_days: 30 } });
    expect(await auditOf("campaign.update", id)).toEqual([{ actor: `web:${ADMIN.email}` }]);
  });

  it("adds a step with a template of the campaign's channel only", async () => {
    const page = await (await admin.get(`/admin/campanas/${campaignId}`)).text();
    expect(page).toContain(`<option value="${templateId}">Bienvenida</option>`);
    expect(page).not.toContain("Solo WhatsApp");

    const added = await admin.post(`/admin/campanas/${campaignId}/pasos`, { step_number: 1, action: "send_message", message_template_id: templateId, target_stage: "", agent_type: "perfilador", delay_hours: 0 });
    expect(added.status).toBe(303);
    const steps = (await server.api("GET", `/campaigns/${campaignId}`)).body.steps;
    expect(steps).toEqual([expect.objectContaining({ step_number: 1, action: "send_message", message_template_id: templateId, target_stage: null, agent_type: null, delay_hours: 0 })]);
    stepId = steps[0].id;
    expect(await auditOf("campaign.add_step", campaignId)).toEqual([{ actor: `web:${ADMIN.email}` }]);

    const noTemplate = await admin.post(`/admin/campanas/${campaignId}/pasos`, { step_number: 2, action: "send_message", message_template_id: "", delay_hours: 0 });
    expect(noTemplate.status).toBe(400);
    expect(await noTemplate.text()).toContain("send_message necesita message_template_id");
    const negative = await admin.post(`/admin/campanas/${campaignId}/pasos`, { step_number: 2, action: "update_stage", target_stage: "perfilamiento", delay_hours: -1 });
    expect(negative.status).toBe(400);
    expect(await negative.text()).toContain("Espera (horas):");
  });

  it("edits and removes a step while the campaign is a draft, audited", async () => {
    const second = await admin.post(`/admin/campanas/${campaignId}/pasos`, { step_number: 2, action: "update_stage", target_stage: "perfilamiento", delay_hours: 24 });
    expect(second.status).toBe(303);
    const secondId = (await server.api("GET", `/campaigns/${campaignId}`)).body.steps[1].id;

    const form = await admin.get(`/admin/campanas/${campaignId}/pasos/${secondId}/editar`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('value="24"');
    const edited = await admin.post(`/admin/campanas/${campaignId}/pasos/${secondId}/editar`, { step_number: 2, action: "update_stage", target_stage: "seguimiento", delay_hours: 1.5 });
    expect(edited.status).toBe(303);
    expect((await server.api("GET", `/campaigns/${campaignId}`)).body.steps[1]).toMatchObject({ target_stage: "seguimiento", delay_hours: 1.5 });
    expect(await auditOf("campaign.update_step", campaignId)).toEqual([{ actor: `web:${ADMIN.email}` }]);

    const removed = await admin.post(`/admin/campanas/${campaignId}/pasos/${secondId}/quitar`, {});
    expect(removed.status).toBe(303);
    expect((await server.api("GET", `/campaigns/${campaignId}`)).body.steps).toHaveLength(1);
    expect(await auditOf("campaign.remove_step", campaignId)).toEqual([{ actor: `web:${ADMIN.email}` }]);
  });

  it("activates it: the leads in entrada get the step, which shows in the figures, per day and in the logs", async () => {
    const ana = (await server.api("POST", "/leads", { name: "Ana López", telegram_chat_id: 701 })).body;
    const beto = (await server.api("POST", "/leads", { name: "Beto Ruiz", telegram_chat_id: 702 })).body;
    telegram.failChat(702, TELEGRAM_ERRORS.serverError);

    const activated = await admin.post(`/admin/campanas/${campaignId}/estado`, { status: "active" });
    expect(activated.status).toBe(303);
    await server.prospecta.campaignEngine.idle();
    expect((await server.api("GET", `/campaigns/${campaignId}`)).body.status).toBe("active");
    expect(telegram.delivered(701).map((m) => m.text)).toEqual(["Hola Ana, gracias por escribirnos."]);

    const byDay = await admin.get(`/admin/api/campanas/${campaignId}/por-dia`);
    expect(byDay.status).toBe(200);
    const { days, time_zone } = (await byDay.json()) as ByDay;
    expect(time_zone).toBe("America/Mexico_City");
    expect(days).toHaveLength(30);
    expect(days.at(-1)).toEqual({ day: "2026-01-15", executed: 2, success: 1, failed: 1 });
    expect(days.slice(0, -1).every((d) => d.executed === 0)).toBe(true);

    const page = await (await admin.get(`/admin/campanas/${campaignId}`)).text();
    expect(page).toContain("<dt>Pasos ejecutados</dt><dd>2</dd>");
    expect(page).toContain("<dt>Leads contactados</dt><dd>1</dd>");
    expect(page).toContain('<canvas data-chart="grafica-por-dia"');
    expect(page).toMatch(/<script type="application\/json" id="grafica-por-dia">\{"type":"bar"/);
    expect(page).toContain('<tr><th scope="row"><time datetime="2026-01-15">15 ene</time></th><td>2</td><td>1</td><td>1</td></tr>');
    expect(page).toContain(`<a href="/admin/leads/${ana.id}">Ana López</a>`);
    expect(page).toContain(`<a href="/admin/leads/${beto.id}">Beto Ruiz</a>`);
    expect(page).toContain(">Pausar</button>");

    // The logs' filter: by status, by lead, paged; a bad filter is refused with the field's name.
    const failed = await (await admin.get(`/admin/campanas/${campaignId}?status=failed`)).text();
    expect(failed).toContain("Registros 1–1 de 1");
    expect(failed).toContain("Beto Ruiz</a>");
    expect(failed).not.toContain(`/admin/leads/${ana.id}"`);
    const ofAna = await (await admin.get(`/admin/campanas/${campaignId}?lead_id=${ana.id}&status=&needs_review=`)).text();
    expect(ofAna).toContain("Registros 1–1 de 1");
    const paged = await (await admin.get(`/admin/campanas/${campaignId}?limit=1`)).text();
    expect(paged).toContain("Registros 1–1 de 2");
    expect(paged).toContain(`href="/admin/campanas/${campaignId}?skip=1#registros"`);
    const bad = await admin.get(`/admin/campanas/${campaignId}?lead_id=ana`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("Lead:");

    // Two days later the step is still counted on its own local day (a new session: the old one went idle).
    server.clock.advance(2 * DAY);
    admin = await signInToDashboard(server, ADMIN);
    const later = (await (await admin.get(`/admin/api/campanas/${campaignId}/por-dia`)).json()) as ByDay;
    expect(later.days.at(-1)?.day).toBe("2026-01-17");
    expect(later.days.at(-3)).toEqual({ day: "2026-01-15", executed: 2, success: 1, failed: 1 });
  });

  it("refuses to edit or remove a step while the campaign is active, and allows it once paused", async () => {
    const edit = await admin.post(`/admin/campanas/${campaignId}/pasos/${stepId}/editar`, { step_number: 1, action: "send_message", message_template_id: templateId, delay_hours: 5 }, { htmx: true });
    expect(edit.status).toBe(409);
    expect(await edit.text()).toContain("La campaña está activa: páusala para cambiar o quitar sus pasos");
    const remove = await admin.post(`/admin/campanas/${campaignId}/pasos/${stepId}/quitar`, {});
    expect(remove.status).toBe(409);
    expect((await server.api("GET", `/campaigns/${campaignId}`)).body.steps).toEqual([expect.objectContaining({ id: stepId, delay_hours: 0 })]);
    const page = await (await admin.get(`/admin/campanas/${campaignId}`)).text();
    expect(page).not.toContain(`/pasos/${stepId}/quitar`);

    expect((await admin.post(`/admin/campanas/${campaignId}/estado`, { status: "paused" })).status).toBe(303);
    expect((await server.api("GET", `/campaigns/${campaignId}`)).body.status).toBe("paused");
    const edited = await admin.post(`/admin/campanas/${campaignId}/pasos/${stepId}/editar`, { step_number: 1, action: "send_message", message_template_id: templateId, delay_hours: 5 });
    expect(edited.status).toBe(303);
    expect((await server.api("GET", `/campaigns/${campaignId}`)).body.steps[0].delay_hours).toBe(5);
  });

  it("answers the per-day figures of a campaign that does not exist with a JSON 404", async () => {
    const response = await admin.get("/admin/api/campanas/9999/por-dia");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not_found" });
  });

  it("needs the page's CSRF token for every change", async () => {
    const before = (await server.api("GET", "/campaigns")).body.length;
    for (const csrf of [null, "x".repeat(43)]) {
      const response = await admin.post("/admin/campanas/nueva", campaignForm, { csrf });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("La sesión expiró");
    }
    expect((await admin.post(`/admin/campanas/${campaignId}/estado`, { status: "active" }, { csrf: null })).status).toBe(403);
    expect((await server.api("GET", "/campaigns")).body.length).toBe(before);
    expect((await server.api("GET", `/campaigns/${campaignId}`)).body.status).toBe("paused");
  });

  it("shows an asesor the campaigns read-only, and refuses their changes with 403", async () => {
    const asesor = await signInToDashboard(server, ASESOR);
    const list = await (await asesor.get("/admin/campanas")).text();
    expect(list).toContain("Bienvenida desde el tablero");
    expect(list).not.toContain("Nueva campaña");
    const page = await asesor.get(`/admin/campanas/${campaignId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Pasos ejecutados");
    expect(html).not.toMatch(/<form[^>]+method="post"[^>]+action="\/admin\/campanas/);
    expect(html).not.toContain("Agregar paso");

    expect((await asesor.get("/admin/campanas/nueva")).status).toBe(403);
    expect((await asesor.get(`/admin/campanas/${campaignId}/editar`)).status).toBe(403);
    const refusals = [
      await asesor.post("/admin/campanas/nueva", campaignForm),
      await asesor.post(`/admin/campanas/${campaignId}/editar`, { ...campaignForm, name: "Otra" }),
      await asesor.post(`/admin/campanas/${campaignId}/estado`, { status: "active" }),
      await asesor.post(`/admin/campanas/${campaignId}/pasos`, { step_number: 3, action: "start_call", delay_hours: 0 }),
      await asesor.post(`/admin/campanas/${campaignId}/pasos/${stepId}/editar`, { step_number: 1, action: "start_call", delay_hours: 0 }),
      await asesor.post(`/admin/campanas/${campaignId}/pasos/${stepId}/quitar`, {}),
    ];
    expect(refusals.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    const campaign = (await server.api("GET", `/campaigns/${campaignId}`)).body;
    expect(campaign).toMatchObject({ name: campaignForm.name, status: "paused" });
    expect(campaign.steps).toHaveLength(1);
  });
});
