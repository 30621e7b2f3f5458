/**
 * The Tablero over real HTTP (no browser), on the test database (SQLite, or PostgreSQL with
 * TEST_DATABASE=postgres): its columns, counts and cards, the filters, the pages a column loads as
 * people scroll (keyset: no lead twice, none missed), and moving a card (CSRF, refusals, forcing).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PIPELINE_STAGES, type PipelineStage } from "../../src/domain/vocabulary";
import { CARDS_PER_COLUMN, CARDS_PER_PAGE } from "../../web/board";
import { postForm, signInToDashboard, type DashboardSession } from "./dashboard-session";
import { startTestServer, type TestServer } from "./test-server";

const EMAIL = "direccion@agencia.mx";
const PASSWORD = "una-clave-de-arranque";
const DAY_MS = 86_400_000;

let server: TestServer;
let admin: DashboardSession;

beforeAll(async () => {
  server = await startTestServer({ env: { DASHBOARD_ADMIN_EMAIL: EMAIL, DASHBOARD_ADMIN_PASSWORD: PASSWORD, PROSPECTA_ROLES: "api" } });
  admin = await signInToDashboard(server.baseUrl, EMAIL, PASSWORD);
});
afterAll(async () => {
  await server?.close();
});

async function createLead(fields: Record<string, unknown>): Promise<number> {
  const created = await server.api("POST", "/leads", fields);
  expect(created.status).toBe(201);
  return created.body.id;
}

async function moveByApi(id: number, stage: PipelineStage): Promise<void> {
  expect((await server.api("POST", `/pipeline/leads/${id}/move-stage`, { new_stage: stage, force: true })).status).toBe(200);
}

function decode(html: string): string {
  return html.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
}

function column(html: string, stage: PipelineStage): string {
  const found = new RegExp(`<section class="columna" id="columna-${stage}"[\\s\\S]*?</section>`).exec(html);
  if (!found) throw new Error(`no column ${stage}`);
  return found[0];
}

/** The lead ids of the cards in a piece of the board, in order. */
function cardIds(html: string): number[] {
  return [...html.matchAll(/<li class="tarjeta" id="lead-(\d+)"/g)].map((match) => Number(match[1]));
}

function countOf(html: string, stage: PipelineStage): number {
  const found = new RegExp(`<p class="cuenta" id="cuenta-${stage}"[^>]*>(\\d+) leads?</p>`).exec(html);
  if (!found) throw new Error(`no count for ${stage}`);
  return Number(found[1]);
}

/** Where a column's sentinel asks for its next page, or null at the column's end. */
function sentinelOf(html: string): string | null {
  const found = /<li class="mas" hx-get="([^"]+)"/.exec(html);
  return found ? decode(found[1]!) : null;
}

async function board(query = ""): Promise<string> {
  const response = await admin.get(`/admin/tablero${query}`);
  expect(response.status).toBe(200);
  return response.text();
}

/** Every card of a stage, page after page, as someone scrolling to its end would load them. */
async function walkColumn(query: string, stage: PipelineStage): Promise<{ ids: number[]; pages: number }> {
  const first = column(await board(query), stage);
  const ids = cardIds(first);
  let next = sentinelOf(first);
  let pages = 1;
  while (next) {
    const response = await admin.get(next, { "hx-request": "true" });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).not.toContain("<section");
    ids.push(...cardIds(page));
    next = sentinelOf(page);
    pages += 1;
  }
  return { ids, pages };
}

async function countsBySql(where = "1 = 1", ...params: unknown[]): Promise<Record<string, number>> {
  const rows = await server.sql<{ stage: string; n: number }>(`SELECT pipeline_stage AS stage, count(*) AS n FROM leads WHERE ${where} GROUP BY pipeline_stage`, ...params);
  return Object.fromEntries(PIPELINE_STAGES.map((stage) => [stage, Number(rows.find((row) => row.stage === stage)?.n ?? 0)]));
}

function countsOnBoard(html: string): Record<string, number> {
  return Object.fromEntries(PIPELINE_STAGES.map((stage) => [stage, countOf(html, stage)]));
}

describe("the Tablero", () => {
  it("shows a card with the lead's name (a link to its page), source, budget and zone, score, days in stage and channels", async () => {
    const id = await createLead({ name: "Ana López", source: "facebook", budget_min: 2_000_000, budget_max: 3_000_000, location: "Roma Norte", phone: "+525512345678" });
    // Three days and a minute in the stage (moving the clock instead would end the session, idle for 12 h).
    await server.sql("UPDATE leads SET stage_changed_at = ? WHERE id = ?", new Date(server.clock.now().getTime() - 3 * DAY_MS - 60_000), id);
    const html = await board();
    const entrada = column(html, "entrada");
    expect(entrada).toContain('<h2 id="etapa-entrada">Entrada</h2>');
    const card = new RegExp(`<li class="tarjeta" id="lead-${id}"[\\s\\S]*?</li>`).exec(entrada)![0];
    expect(card).toContain(`<a draggable="false" href="/admin/leads/${id}">Ana López</a>`);
    expect(card).toContain("<dt>Fuente</dt><dd>facebook</dd>");
    expect(decode(card)).toMatch(/<dt>Presupuesto<\/dt><dd>entre \$2,000,000 MXN y \$3,000,000 MXN<\/dd>/);
    expect(card).toContain("<dt>Zona</dt><dd>Roma Norte</dd>");
    expect(card).toMatch(/<dt>Puntaje<\/dt><dd>\d+<\/dd>/);
    expect(card).toContain("<dt>En la etapa</dt><dd>3 días</dd>");
    expect(card).toContain("<dt>Canales</dt><dd>teléfono</dd>");
    // Moving it is a form that works without JavaScript, labelled, the next stage offered first.
    expect(card).toContain(`<form class="mover" method="post" action="/admin/tablero/leads/${id}/mover"`);
    expect(card).toContain(`<label for="mover-${id}">Mover a…</label>`);
    expect(card).toMatch(/<option value="perfilamiento" selected>Perfilamiento<\/option>/);
    expect(card).not.toContain('<option value="entrada"');
    expect(countsOnBoard(html)).toEqual(await countsBySql());
    // The source filter offers the sources that exist.
    expect(html).toContain('<option value="facebook">facebook</option>');
  });

  it("filters by search, source, score range and days without activity, and the counts follow the filters", async () => {
    const ids = {
      roma: await createLead({ name: "Beatriz Roma", source: "filtro-web", location: "Roma Sur" }),
      polanco: await createLead({ name: "Carlos Polanco", source: "filtro-web", location: "Polanco" }),
      tele: await createLead({ name: "Diana Tele", source: "filtro-tv", location: "Roma Norte" }),
    };
    await moveByApi(ids.polanco, "agendado");
    await server.sql("UPDATE leads SET score = ? WHERE id = ?", 80, ids.roma);
    await server.sql("UPDATE leads SET score = ? WHERE id = ?", 20, ids.polanco);
    await server.sql("UPDATE leads SET score = ? WHERE id = ?", 55, ids.tele);
    const now = new Date(server.clock.now().getTime());
    await server.sql("UPDATE leads SET last_activity_at = ? WHERE id = ?", new Date(now.getTime() - 10 * DAY_MS), ids.polanco);
    await server.sql("UPDATE leads SET last_activity_at = ? WHERE id IN (?, ?)", new Date(now.getTime() - DAY_MS), ids.roma, ids.tele);

    const bySource = await board("?fuente=filtro-web");
    expect(cardIds(bySource).sort()).toEqual([ids.roma, ids.polanco].sort());
    expect(countsOnBoard(bySource)).toEqual(await countsBySql("source = ?", "filtro-web"));
    expect(countOf(bySource, "agendado")).toBe(1);
    expect(bySource).toContain('<option value="filtro-web" selected>filtro-web</option>');

    const searched = await board("?q=roma&fuente=");
    expect(cardIds(searched)).toEqual(expect.arrayContaining([ids.roma, ids.tele]));
    expect(cardIds(searched)).not.toContain(ids.polanco);
    expect(searched).toContain('value="roma"');

    const scored = await board("?puntaje_min=50&puntaje_max=60&fuente=filtro-tv");
    expect(cardIds(scored)).toEqual([ids.tele]);
    expect(countsOnBoard(scored)).toEqual({ ...(await countsBySql("1 = 0")), entrada: 1 });

    const quiet = await board("?inactivo_dias=5&q=polanco");
    expect(cardIds(quiet)).toEqual([ids.polanco]);
    expect(countOf(quiet, "agendado")).toBe(1);
    expect(countsOnBoard(await board("?inactivo_dias=5&fuente=filtro-web"))).toEqual(await countsBySql("source = ? AND last_activity_at < ?", "filtro-web", new Date(now.getTime() - 5 * DAY_MS)));
  });

  it("refuses a bad filter with a Spanish reason", async () => {
    for (const [query, reason] of [
      ["?puntaje_min=abc", "El puntaje mínimo es un número entero de 0 a 100."],
      ["?puntaje_max=101", "El puntaje máximo es un número entero de 0 a 100."],
      ["?inactivo_dias=0", "Los días sin actividad son un número entero de 1 a 3650."],
    ]) {
      const response = await admin.get(`/admin/tablero${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.text()).toContain(reason);
    }
    const swap = await admin.get("/admin/tablero?puntaje_min=abc", { "hx-request": "true", "hx-target": "tablero" });
    expect(swap.status).toBe(400);
    expect(swap.headers.get("hx-retarget")).toBe("#avisos");
    const badCursor = await admin.get("/admin/tablero/columna/entrada?despues=mañana", { "hx-request": "true" });
    expect(badCursor.status).toBe(400);
    expect((await admin.get("/admin/tablero/columna/otra?despues=1.1", { "hx-request": "true" })).status).toBe(400);
  });

  it("answers the filters form's htmx request with the board alone, and empties the notices", async () => {
    const response = await admin.get("/admin/tablero?fuente=filtro-web", { "hx-request": "true", "hx-target": "tablero" });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain("<html");
    expect(html).toMatch(/^<div id="tablero" class="tablero" data-filtros="fuente=filtro-web">/);
    expect(html).toContain('<div id="avisos" hx-swap-oob="innerHTML"></div>');
    expect(html.match(/<section class="columna"/g)).toHaveLength(7);
  });

  it("loads a big stage page by page as people scroll: every lead once, newest first, even when they arrived at the same moment", async () => {
    // 75 leads created at one instant: their stage_changed_at ties, and only the id orders them.
    const created: number[] = [];
    for (let i = 0; i < 75; i++) created.push(await createLead({ name: `Página ${i}`, source: "paginas" }));
    // Some leave and come back later, so the stage mixes times.
    for (const id of created.slice(0, 10)) await moveByApi(id, "perfilamiento");
    server.clock.advance(60_000);
    for (const id of created.slice(0, 5)) await moveByApi(id, "entrada");

    const expected = (
      await server.sql<{ id: number }>("SELECT id FROM leads WHERE pipeline_stage = 'entrada' AND source = ? ORDER BY stage_changed_at DESC, id DESC", "paginas")
    ).map((row) => Number(row.id));
    expect(expected).toHaveLength(70);
    const filtered = await walkColumn("?fuente=paginas", "entrada");
    expect(filtered.ids).toEqual(expected);
    expect(filtered.pages).toBe(1 + Math.ceil((70 - CARDS_PER_COLUMN) / CARDS_PER_PAGE));

    const all = (await server.sql<{ id: number }>("SELECT id FROM leads WHERE pipeline_stage = 'entrada' ORDER BY stage_changed_at DESC, id DESC")).map((row) => Number(row.id));
    const unfiltered = await walkColumn("", "entrada");
    expect(unfiltered.ids).toEqual(all);
    expect(new Set(unfiltered.ids).size).toBe(unfiltered.ids.length);
    expect(countOf(await board(), "entrada")).toBe(all.length);
  });

  it("reads a whole column again (count and newest cards) for the live refresh", async () => {
    const response = await admin.get("/admin/tablero/columna/perfilamiento?fuente=paginas", { "hx-request": "true" });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/^<section class="columna" id="columna-perfilamiento"/);
    expect(countOf(html, "perfilamiento")).toBe(5);
    expect(cardIds(html)).toHaveLength(5);
  });
});

describe("moving a card on the Tablero", () => {
  const htmx = { "hx-request": "true" };

  async function stageOf(id: number): Promise<string> {
    return (await server.sql<{ stage: string }>("SELECT pipeline_stage AS stage FROM leads WHERE id = ?", id))[0]!.stage;
  }

  it("needs the session's CSRF token", async () => {
    const id = await createLead({ name: "Sin token", source: "movidas" });
    for (const form of [{ etapa: "perfilamiento" }, { etapa: "perfilamiento", _csrf: "x".repeat(43) }] as Record<string, string>[]) {
      const refused = await postForm(server.baseUrl, `/admin/tablero/leads/${id}/mover`, form, { cookie: admin.cookie, ...htmx });
      expect(refused.status).toBe(403);
    }
    expect(await stageOf(id)).toBe("entrada");
    // htmx sends the token as a header instead of a field.
    const moved = await postForm(server.baseUrl, `/admin/tablero/leads/${id}/mover`, { etapa: "perfilamiento" }, { cookie: admin.cookie, ...htmx, "x-csrf-token": admin.csrf });
    expect(moved.status).toBe(200);
    expect(await stageOf(id)).toBe("perfilamiento");
  });

  it("moves through the pipeline service as web:<email>, and answers the card in its new column with both counts under the filters", async () => {
    const id = await createLead({ name: "Ana Movida", source: "movidas" });
    const response = await admin.post(`/admin/tablero/leads/${id}/mover`, { etapa: "perfilamiento", fuente: "movidas" }, htmx);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`<li id="lead-${id}" hx-swap-oob="delete"></li>`);
    expect(html).toContain('<ol hx-swap-oob="afterbegin:#tarjetas-perfilamiento">');
    expect(html).toMatch(new RegExp(`<li class="tarjeta" id="lead-${id}" draggable="true" data-lead="${id}" data-etapa="perfilamiento" data-enfocar>`));
    const counts = await countsBySql("source = ?", "movidas");
    expect(html).toContain(`<p class="cuenta" id="cuenta-entrada" hx-swap-oob="true">${counts.entrada} lead${counts.entrada === 1 ? "" : "s"}</p>`);
    expect(html).toContain(`<p class="cuenta" id="cuenta-perfilamiento" hx-swap-oob="true">${counts.perfilamiento} lead${counts.perfilamiento === 1 ? "" : "s"}</p>`);
    expect(html).toContain('<p id="tablero-estado" hx-swap-oob="innerHTML">Ana Movida movida a Perfilamiento</p>');

    const history = await server.sql<{ actor: string; reason: string; forced: unknown }>(
      "SELECT actor, reason, forced FROM lead_stage_history WHERE lead_id = ? AND to_stage = 'perfilamiento'",
      id,
    );
    expect(history).toEqual([{ actor: `web:${EMAIL}`, reason: "Movido desde el tablero", forced: 0 }]);
    const audit = await server.sql("SELECT actor FROM audit_logs WHERE action = 'lead.stage_change' AND entity_id = ?", id);
    expect(audit).toEqual([{ actor: `web:${EMAIL}` }]);
  });

  it("works without JavaScript: the form posts and the browser goes back to the board it was on", async () => {
    const id = await createLead({ name: "Sin JS", source: "movidas" });
    const response = await admin.post(`/admin/tablero/leads/${id}/mover`, { etapa: "perfilamiento" }, { referer: `${server.baseUrl}/admin/tablero?fuente=movidas` });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/admin/tablero?fuente=movidas");
    expect(await stageOf(id)).toBe("perfilamiento");
    const elsewhere = await admin.post(`/admin/tablero/leads/${id}/mover`, { etapa: "calificacion_financiera" }, { referer: "https://otro-sitio.example/admin/tablero" });
    expect(elsewhere.headers.get("location")).toBe("/admin/tablero");
  });

  it("refuses a skip with the rules' reason (409) and lets an admin force it", async () => {
    const id = await createLead({ name: "Ana Salto", source: "movidas" });
    const refused = await admin.post(`/admin/tablero/leads/${id}/mover`, { etapa: "agendado" }, htmx);
    expect(refused.status).toBe(409);
    expect(refused.headers.get("hx-retarget")).toBe("#avisos");
    const alert = decode(await refused.text());
    expect(alert).toContain('role="alert"');
    expect(alert).toContain("<p>El movimiento de Entrada a Agendado salta etapas; la siguiente etapa es Perfilamiento.</p>");
    expect(alert).not.toContain('"force": true');
    expect(alert).toContain('hx-confirm="¿Forzar el movimiento de Ana Salto a Agendado?"');
    expect(alert).toContain('<button type="submit">Forzar movimiento</button>');
    expect(await stageOf(id)).toBe("entrada");

    const forced = await admin.post(`/admin/tablero/leads/${id}/mover`, { etapa: "agendado", force: "1" }, htmx);
    expect(forced.status).toBe(200);
    expect(await stageOf(id)).toBe("agendado");
    const history = await server.sql<{ actor: string; forced: unknown }>("SELECT actor, forced FROM lead_stage_history WHERE lead_id = ? AND to_stage = 'agendado'", id);
    expect(history).toEqual([{ actor: `web:${EMAIL}`, forced: 1 }]);

    // Without JavaScript the refusal is a page with the same alert.
    const page = await admin.post(`/admin/tablero/leads/${id}/mover`, { etapa: "entrada" });
    expect(page.status).toBe(409);
    const text = decode(await page.text());
    expect(text).toContain("<html");
    expect(text).toContain("El movimiento de Agendado a Entrada retrocede; la siguiente etapa es Seguimiento.");
    expect(text).toContain("Forzar movimiento");
  });

  it("an asesor is told only an admin can force, and a forced move from an asesor is refused (403)", async () => {
    await server.prospecta.services.accounts.createUser({ email: "asesora@agencia.mx", name: "Asesora", role: "asesor", password: "clave-de-asesora-1" }, EMAIL);
    const asesora = await signInToDashboard(server.baseUrl, "asesora@agencia.mx", "clave-de-asesora-1");
    const id = await createLead({ name: "Sin permiso", source: "movidas" });

    const refused = await asesora.post(`/admin/tablero/leads/${id}/mover`, { etapa: "agendado" }, htmx);
    expect(refused.status).toBe(409);
    const alert = await refused.text();
    expect(alert).toContain("Solo un administrador puede forzarlo.");
    expect(alert).not.toContain("Forzar movimiento");

    const forced = await asesora.post(`/admin/tablero/leads/${id}/mover`, { etapa: "agendado", force: "1" }, htmx);
    expect(forced.status).toBe(403);
    expect(await forced.text()).toContain("Solo un administrador puede forzarlo.");
    expect(await stageOf(id)).toBe("entrada");

    // A move the rules allow is the asesora's, as herself.
    expect((await asesora.post(`/admin/tablero/leads/${id}/mover`, { etapa: "perfilamiento" }, htmx)).status).toBe(200);
    const history = await server.sql("SELECT actor FROM lead_stage_history WHERE lead_id = ? AND to_stage = 'perfilamiento'", id);
    expect(history).toEqual([{ actor: "web:asesora@agencia.mx" }]);
  });

  it("refuses a move to an unknown stage or of an unknown lead with a Spanish reason", async () => {
    const unknownStage = await admin.post("/admin/tablero/leads/1/mover", { etapa: "cerrado" }, htmx);
    expect(unknownStage.status).toBe(400);
    expect(await unknownStage.text()).toContain("Esa etapa no existe.");
    const unknownLead = await admin.post("/admin/tablero/leads/999999/mover", { etapa: "perfilamiento" }, htmx);
    expect(unknownLead.status).toBe(404);
  });
});
