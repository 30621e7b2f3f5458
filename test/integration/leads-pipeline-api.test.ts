import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

const DAY = 86_400_000;

async function newLead(fields: Record<string, unknown> = {}) {
  const response = await server.api("POST", "/leads", { name: "Ana López", ...fields });
  expect(response.status).toBe(201);
  return response.body;
}

describe("leads", () => {
  it("a new lead starts in entrada with a history row and an audit row", async () => {
    const lead = await newLead({ phone: "+52 55 1234 5678", source: "facebook_ads", budget_max: 3_500_000, location: "Roma Norte" });
    expect(lead).toMatchObject({ pipeline_stage: "entrada", phone: "+525512345678", currency: "MXN", score: 24 });
    const read = await server.api("GET", `/leads/${lead.id}`);
    expect(read.body.stage_history).toEqual([
      expect.objectContaining({ from_stage: null, to_stage: "entrada", actor: "api:admin", reason: "Lead creado (origen: facebook_ads)" }),
    ]);
    expect(await server.sql("SELECT action FROM audit_logs WHERE entity = 'lead' AND entity_id = ?", lead.id)).toEqual([{ action: "lead.create" }]);
  });

  it("refuses a bad phone, a bad email and an unknown field, naming each", async () => {
    const response = await server.api("POST", "/leads", { name: "X", phone: "5512345678", email: "no-es-correo", pipeline_stage: "ganado" });
    expect(response.status).toBe(400);
    const paths = response.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["phone", "email"]));
    expect(response.body.details.length).toBeGreaterThanOrEqual(3);
  });

  it("refuses a second lead with the same phone (409) and writes nothing", async () => {
    await newLead({ name: "Primero", phone: "+525511112222" });
    const count = (await server.sql("SELECT COUNT(*) AS n FROM leads"))[0].n;
    const duplicate = await server.api("POST", "/leads", { name: "Segundo", phone: "+525511112222" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.details[0].path).toBe("phone");
    expect((await server.sql("SELECT COUNT(*) AS n FROM leads"))[0].n).toBe(count);
  });

  it("leads created at the same moment are each written whole, and a duplicate among them alone gets its 409", async () => {
    const welcome = (await server.api("POST", "/campaigns", { name: "Bienvenida a la vez", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } })).body;
    expect((await server.api("POST", `/campaigns/${welcome.id}/steps`, { step_number: 1, action: "update_stage", target_stage: "perfilamiento", delay_hours: 48 })).status).toBe(201);
    expect((await server.api("PUT", `/campaigns/${welcome.id}`, { status: "active" })).status).toBe(200);
    const taken = await newLead({ name: "Ya registrada", phone: "+525533330000" });

    // The first is written at once; the others come while it is written, and go in groups.
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        server.api("POST", "/leads", { name: `Ráfaga ${i}`, phone: i === 17 ? "+525533330000" : `+5255333301${String(i).padStart(2, "0")}`, source: "formulario" }),
      ),
    );

    expect(responses.map((response) => response.status)).toEqual(responses.map((_, i) => (i === 17 ? 409 : 201)));
    expect(responses[17]!.body.details).toEqual([expect.objectContaining({ path: "phone", message: expect.stringContaining(`lead ${taken.id}`) })]);
    const created = responses.filter((response) => response.status === 201).map((response) => response.body);
    // Each answer is its own lead, as asked.
    expect(created.map((lead) => lead.name)).toEqual(responses.flatMap((_, i) => (i === 17 ? [] : [`Ráfaga ${i}`])));
    expect(new Set(created.map((lead) => lead.id)).size).toBe(29);
    for (const lead of created) {
      expect(lead).toMatchObject({ pipeline_stage: "entrada", source: "formulario" });
      const read = (await server.api("GET", `/leads/${lead.id}`)).body;
      expect(read.name).toBe(lead.name);
      expect(read.stage_history).toEqual([expect.objectContaining({ to_stage: "entrada", reason: "Lead creado (origen: formulario)" })]);
      const audit = await server.sql("SELECT after FROM audit_logs WHERE action = 'lead.create' AND entity_id = ?", lead.id);
      expect(audit.map((row) => JSON.parse(row.after as string).name)).toEqual([lead.name]);
      expect(await server.sql("SELECT status FROM campaign_enrollments WHERE campaign_id = ? AND lead_id = ?", welcome.id, lead.id)).toEqual([{ status: "active" }]);
    }
    expect(await server.sql("SELECT COUNT(*) AS n FROM leads WHERE name = 'Ráfaga 17'")).toEqual([{ n: 0 }]);
    expect((await server.api("PUT", `/campaigns/${welcome.id}`, { status: "paused" })).status).toBe(200);
  });

  it("PATCH edits fields, recomputes the score and audits only what changed", async () => {
    const lead = await newLead({ name: "Carlos" });
    const patched = await server.api("PATCH", `/leads/${lead.id}`, { credit_type: "infonavit", monthly_income: 25_000, property_type: "casa" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ credit_type: "infonavit", monthly_income: 25_000, score: 6 + 8 + 8 });
    const audit = await server.sql("SELECT before, after FROM audit_logs WHERE action = 'lead.update' AND entity_id = ?", lead.id);
    expect(JSON.parse(audit[0].after)).toEqual({ credit_type: "infonavit", monthly_income: 25_000, property_type: "casa" });
    expect(JSON.parse(audit[0].before)).toEqual({ credit_type: null, monthly_income: null, property_type: null });

    const incoherent = await server.api("PATCH", `/leads/${lead.id}`, { budget_min: 5_000_000, budget_max: 1_000_000 });
    expect(incoherent.status).toBe(400);
    expect((await server.api("GET", `/leads/${lead.id}`)).body.budget_min).toBeNull();
    expect((await server.api("PATCH", `/leads/${lead.id}`, { pipeline_stage: "ganado" })).status).toBe(400);
    expect((await server.api("PATCH", "/leads/999999", { name: "x" })).status).toBe(404);
  });

  it("lists by stage and searches by name, phone or location", async () => {
    await newLead({ name: "Búsqueda Única", location: "Coyoacán" });
    const byName = await server.api("GET", "/leads?q=Única");
    expect(byName.body.items.map((l: { name: string }) => l.name)).toEqual(["Búsqueda Única"]);
    const byLocation = await server.api("GET", "/leads?q=coyoac&stage=entrada&limit=5");
    expect(byLocation.body).toMatchObject({ total: 1, skip: 0, limit: 5 });
    const wildcard = await server.api("GET", "/leads?q=%25");
    expect(wildcard.body.total).toBe(0);
    expect((await server.api("GET", "/leads?stage=nope")).status).toBe(400);
    expect((await server.api("GET", "/leads?limit=0")).status).toBe(400);
  });

  it("searches any part of a name, phone or e-mail, case and accents ignored, and keeps up with edits", async () => {
    const lead = await newLead({ name: "José Ángel Pérez", phone: "+52 33 9876 5432", email: "jose.perez@correo.mx" });
    const found = async (q: string) => (await server.api("GET", `/leads?q=${encodeURIComponent(q)}`)).body.items.map((l: { id: number }) => l.id);
    for (const q of ["jose angel", "PEREZ", "ángel pé", "33 9876", "(33) 9876-54", "9876543", "perez@correo", 'Pérez"'.slice(0, -1)]) {
      expect(await found(q), q).toEqual([lead.id]);
    }
    // Query syntax is text: quotes, stars and operators find nothing instead of failing.
    for (const q of ['"', "jose*", "jose OR ana", "NEAR(jose)", "name:jose"]) {
      expect((await server.api("GET", `/leads?q=${encodeURIComponent(q)}`)).status, q).toBe(200);
    }
    await server.api("PATCH", `/leads/${lead.id}`, { name: "Pepe Sánchez" });
    expect(await found("perez@")).toEqual([lead.id]);
    expect(await found("José Ángel")).toEqual([]);
    expect(await found("sanchez")).toEqual([lead.id]);
    // Two letters are too few for the index: they still find, by reading every lead.
    expect(await found("Pe")).toContain(lead.id);
  });
});

describe("pipeline moves", () => {
  it("moves one step with the guide's body, writing history and audit", async () => {
    const lead = await newLead({ name: "Mover" });
    server.clock.advance(2 * DAY);
    const moved = await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "perfilamiento", reason: "Lead respondió inicial" });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ from_stage: "entrada", to_stage: "perfilamiento", lead: { pipeline_stage: "perfilamiento" } });
    expect(moved.body.lead.stage_changed_at).toBe(server.clock.now().toISOString());
    const history = (await server.api("GET", `/leads/${lead.id}`)).body.stage_history;
    expect(history.at(-1)).toMatchObject({ from_stage: "entrada", to_stage: "perfilamiento", reason: "Lead respondió inicial", forced: false });
    expect((await server.sql("SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'lead.stage_change' AND entity_id = ?", lead.id))[0].n).toBe(1);
  });

  it("refuses a skip or a step back without force (409, nothing written), allows it with force", async () => {
    const lead = await newLead({ name: "Saltar" });
    const historyBefore = (await server.sql("SELECT COUNT(*) AS n FROM lead_stage_history"))[0].n;
    const skip = await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "agendado", reason: "x" });
    expect(skip.status).toBe(409);
    // The API's words, byte for byte (the dashboard shows the reason without the last sentence).
    expect(skip.body.message).toBe('El movimiento de Entrada a Agendado salta etapas; la siguiente etapa es Perfilamiento. Para forzarlo usa "force": true');
    expect((await server.sql("SELECT COUNT(*) AS n FROM lead_stage_history"))[0].n).toBe(historyBefore);
    expect((await server.sql("SELECT pipeline_stage FROM leads WHERE id = ?", lead.id))[0].pipeline_stage).toBe("entrada");

    const forced = await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "agendado", reason: "Cita por teléfono", force: true });
    expect(forced.status).toBe(200);
    const back = await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "perfilamiento" });
    expect(back.status).toBe(409);
  });

  it("marks perdido from any open stage and keeps the reason", async () => {
    const lead = await newLead({ name: "Perder" });
    const lost = await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "perdido", reason: "Compró con otra agencia" });
    expect(lost.body.lead).toMatchObject({ pipeline_stage: "perdido", lost_reason: "Compró con otra agencia" });
    expect((await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "perfilamiento" })).status).toBe(409);
  });

  it("moves of one lead sent at the same moment are decided one after another: each sees the stage the previous one left", async () => {
    const lead = await newLead({ name: "Simultáneo" });
    // Each is allowed from entrada; after any one of them, every other is refused (perdido is final, a step
    // back needs force), as they would be one at a time. Read at once, the stage was entrada for all.
    const targets = ["perdido", "perfilamiento", "perdido", "perfilamiento", "perdido", "perfilamiento", "perdido", "perfilamiento"];
    const responses = await Promise.all(targets.map((new_stage, i) => server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage, reason: `Intento ${i}` })));
    const statuses = responses.map((response) => response.status).sort();
    const made = responses.filter((response) => response.status === 200);
    const history = (await server.api("GET", `/leads/${lead.id}`)).body.stage_history as { from_stage: string | null; to_stage: string }[];
    // A chain: each row starts where the one before it ended, and the lead is where the last one ended.
    for (const [i, row] of history.entries()) if (i > 0) expect(row.from_stage).toBe(history[i - 1]!.to_stage);
    expect((await server.api("GET", `/leads/${lead.id}`)).body.pipeline_stage).toBe(history.at(-1)!.to_stage);
    expect(history).toHaveLength(1 + made.length);
    // perfilamiento then perdido may both be made; never two from entrada.
    expect(made.filter((response) => response.body.from_stage === "entrada")).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
    expect((await server.sql("SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'lead.stage_change' AND entity_id = ?", lead.id))[0].n).toBe(made.length);
  });

  it("edits of one lead at the same moment are checked one after another: two budgets each fine alone never land together", async () => {
    for (let round = 0; round < 5; round++) {
      const lead = await newLead({ name: `Presupuesto ${round}`, budget_min: 3_000_000, budget_max: 6_000_000 });
      // Each keeps min <= max against the lead as it is; together, min 5M and max 4M would not.
      const [raiseMin, lowerMax] = await Promise.all([
        server.api("PATCH", `/leads/${lead.id}`, { budget_min: 5_000_000 }),
        server.api("PATCH", `/leads/${lead.id}`, { budget_max: 4_000_000 }),
      ]);
      expect([raiseMin.status, lowerMax.status].sort()).toEqual([200, 400]);
      const now = (await server.api("GET", `/leads/${lead.id}`)).body;
      expect(now.budget_min).toBeLessThanOrEqual(now.budget_max);
      const audits = await server.sql("SELECT before, after FROM audit_logs WHERE action = 'lead.update' AND entity_id = ?", lead.id);
      expect(audits).toHaveLength(1);
    }
  });

  it("answers 404 for an unknown lead and 400 for an unknown stage", async () => {
    expect((await server.api("POST", "/pipeline/leads/999999/move-stage", { new_stage: "perfilamiento" })).status).toBe(404);
    const bad = await server.api("POST", "/pipeline/leads/1/move-stage", { new_stage: "cerrado" });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe("new_stage");
  });
});

describe("auto-advance", () => {
  it("says what is missing, then moves once the conditions hold", async () => {
    const lead = await newLead({ name: "Auto" });
    const notYet = await server.api("POST", `/pipeline/leads/${lead.id}/auto-advance`);
    expect(notYet.status).toBe(200);
    expect(notYet.body).toMatchObject({ moved: false, from_stage: "entrada", to_stage: "perfilamiento" });
    expect(notYet.body.missing.map((m: { code: string }) => m.code)).toEqual(["first_reply"]);

    // The lead writes: a stored inbound message is the first reply.
    await server.sql("INSERT INTO messages (lead_id, direction, channel, text, at) VALUES (?, 'inbound', 'telegram', 'hola', ?) RETURNING id", lead.id, server.clock.now());
    const moved = await server.api("POST", `/pipeline/leads/${lead.id}/auto-advance`);
    expect(moved.body).toMatchObject({ moved: true, from_stage: "entrada", to_stage: "perfilamiento", missing: [] });
    expect(moved.body.lead.score).toBe(2 + 0);

    const profile = await server.api("POST", `/pipeline/leads/${lead.id}/auto-advance`);
    expect(profile.body.missing.map((m: { code: string }) => m.code)).toEqual(["budget", "location", "property_type"]);
    await server.api("PATCH", `/leads/${lead.id}`, { budget_max: 3_000_000, location: "Condesa", property_type: "departamento" });
    const qualified = await server.api("POST", `/pipeline/leads/${lead.id}/auto-advance`);
    expect(qualified.body).toMatchObject({ moved: true, to_stage: "calificacion_financiera" });
    expect((await server.api("GET", `/leads/${lead.id}`)).body.stage_history.at(-1).reason).toMatch(/automático/);
  });
});

describe("stage listings, inactivity and metrics", () => {
  it("pages a stage, finds inactive leads and reports metrics from SQL", async () => {
    const fresh = await startTestServer();
    try {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await fresh.api("POST", "/leads", { name: `Lead ${i}` })).body.id);
        fresh.clock.advance(DAY);
      }
      // Leads 0–2 move on to perfilamiento; lead 0 is then lost and lead 1 won (forced).
      for (const id of ids.slice(0, 3)) await fresh.api("POST", `/pipeline/leads/${id}/move-stage`, { new_stage: "perfilamiento" });
      await fresh.api("POST", `/pipeline/leads/${ids[0]}/move-stage`, { new_stage: "perdido", reason: "Sin presupuesto" });
      await fresh.api("POST", `/pipeline/leads/${ids[1]}/move-stage`, { new_stage: "ganado", force: true });

      const page = await fresh.api("GET", "/pipeline/stages/entrada/leads?skip=0&limit=1");
      expect(page.body).toMatchObject({ stage: "entrada", total: 2, skip: 0, limit: 1 });
      expect(page.body.items).toHaveLength(1);

      fresh.clock.advance(8 * DAY);
      const inactive = await fresh.api("GET", "/pipeline/stages/entrada/inactive?inactivity_days=7");
      expect(inactive.body.total).toBe(2);
      expect((await fresh.api("GET", "/pipeline/stages/entrada/inactive?inactivity_days=30")).body.total).toBe(0);
      expect((await fresh.api("GET", "/pipeline/stages/entrada/inactive?inactivity_days=0")).status).toBe(400);

      const metrics = (await fresh.api("GET", "/pipeline/metrics")).body;
      expect(metrics.totals).toEqual({ leads: 5, open: 3, won: 1, lost: 1, win_rate: 0.5 });
      const byStage = Object.fromEntries(metrics.stages.map((s: { stage: string }) => [s.stage, s]));
      expect(byStage.entrada).toMatchObject({ count: 2, share: 0.4, reached: 5, conversion_to_next: 0.6 });
      expect(byStage.perfilamiento).toMatchObject({ count: 1, reached: 3, conversion_to_next: round(1 / 3) });
      expect(byStage.ganado).toMatchObject({ count: 1, conversion_to_next: null });
      // Leads 3 and 4 entered on days 3 and 4; it is now day 13: 10 and 9 days in entrada.
      expect(byStage.entrada.avg_days_in_stage).toBe(9.5);
      expect(byStage.entrada.median_days_in_stage).toBe(9.5);
      expect(byStage.agendado).toMatchObject({ count: 0, share: 0, avg_days_in_stage: null, median_days_in_stage: null });
    } finally {
      await fresh.close();
    }
  });
});

function round(value: number) {
  return Math.round(value * 10_000) / 10_000;
}
