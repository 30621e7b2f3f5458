/**
 * The Lead page over real HTTP (web/routes/lead.ts): the profile, the score explained, and one
 * timeline of messages on both channels, a stage move made by the API, a campaign step, a call with
 * its transcript and an appointment with its Meet link, newest first; "Ver más" pages without
 * duplicates. Runs on SQLite, and on PostgreSQL with TEST_DATABASE=postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInAsAdmin, startDashboardServer, type DashboardSession } from "./dashboard-session";
import type { TestServer } from "./test-server";

const MINUTE = 60_000;

let server: TestServer;
let admin: DashboardSession;

beforeAll(async () => {
  server = await startDashboardServer();
  admin = await signInAsAdmin(server);
});
afterAll(async () => {
  await server?.close();
});

/** The timeline's entries in page order, as `kind-id`. */
function timelineKeys(html: string): string[] {
  return [...html.matchAll(/id="historial-([a-z]+-\d+)"/g)].map((match) => match[1]!);
}

function nextCursor(html: string): string | null {
  const match = /hx-get="\/admin\/leads\/\d+\/historial\?antes=([^"]+)"/.exec(html);
  return match ? decodeURIComponent(match[1]!) : null;
}

async function insertMessage(leadId: number, direction: "inbound" | "outbound", channel: "telegram" | "whatsapp", text: string, sentBy: string | null = null) {
  const [row] = await server.sql<{ id: number }>(
    "INSERT INTO messages (lead_id, direction, channel, text, sent_by, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    leadId,
    direction,
    channel,
    text,
    sentBy,
    server.clock.now(),
  );
  return row!.id;
}

describe("the Lead page", () => {
  let leadId: number;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    const lead = await server.api("POST", "/leads", {
      name: "Ana López",
      phone: "+525512345678",
      source: "facebook",
      budget_min: 2_000_000,
      budget_max: 3_000_000,
      location: "Roma Norte",
      property_type: "departamento",
      credit_type: "infonavit",
    });
    expect(lead.status).toBe(201);
    leadId = lead.body.id;
    const [entered] = await server.sql<{ id: number }>("SELECT id FROM lead_stage_history WHERE lead_id = ?", leadId);
    ids.entered = entered!.id;

    server.clock.advance(MINUTE);
    ids.inbound = await insertMessage(leadId, "inbound", "telegram", "Hola, busco depa en la Roma");
    server.clock.advance(MINUTE);
    ids.outbound = await insertMessage(leadId, "outbound", "whatsapp", "¡Hola Ana! ¿Cuántas recámaras buscas?", "web:asesora@agencia.mx");
    server.clock.advance(MINUTE);
    expect((await server.api("POST", `/pipeline/leads/${leadId}/move-stage`, { new_stage: "perfilamiento", reason: "Respondió al saludo" })).status).toBe(200);
    const [moved] = await server.sql<{ id: number }>("SELECT id FROM lead_stage_history WHERE lead_id = ? AND to_stage = 'perfilamiento'", leadId);
    ids.moved = moved!.id;

    server.clock.advance(MINUTE);
    const campaign = await server.api("POST", "/campaigns", { name: "Bienvenida", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "entrada" } });
    expect(campaign.status).toBe(201);
    const [log] = await server.sql<{ id: number }>(
      "INSERT INTO campaign_logs (campaign_id, step_number, action, lead_id, status, executed_at) VALUES (?, 1, 'send_message', ?, 'success', ?) RETURNING id",
      campaign.body.id,
      leadId,
      server.clock.now(),
    );
    ids.campaign = log!.id;

    server.clock.advance(MINUTE);
    const now = server.clock.now();
    const [call] = await server.sql<{ id: number }>(
      `INSERT INTO voice_calls (lead_id, agent_type, direction, status, duration_seconds, summary, created_at, updated_at)
       VALUES (?, 'perfilador', 'outbound', 'completed', 125, 'Busca 2 recámaras; crédito Infonavit.', ?, ?) RETURNING id`,
      leadId,
      now,
      now,
    );
    ids.call = call!.id;
    await server.sql(
      "INSERT INTO call_transcripts (call_id, speaker, text, at) VALUES (?, 'agent', 'Hola Ana, te llamo de la agencia.', ?), (?, 'lead', 'Hola, sí, dime.', ?)",
      call!.id,
      now,
      call!.id,
      new Date(now.getTime() + 1000),
    );

    // Booked for tomorrow: the upcoming appointment heads the timeline.
    const tomorrow = new Date(now.getTime() + 24 * 60 * MINUTE);
    const [appointment] = await server.sql<{ id: number }>(
      "INSERT INTO appointments (lead_id, starts_at, ends_at, meet_link, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      leadId,
      tomorrow,
      new Date(tomorrow.getTime() + 30 * MINUTE),
      "https://meet.google.com/abc-defg-hij",
      now,
      now,
    );
    ids.appointment = appointment!.id;

    // A change that rescores the lead with its messages, call and appointment.
    server.clock.advance(MINUTE);
    expect((await server.api("PATCH", `/leads/${leadId}`, { notes: "Prefiere que la llamen por la tarde" })).status).toBe(200);
  });

  it("shows the profile, with handoff and opt-out in words", async () => {
    const response = await admin.get(`/admin/leads/${leadId}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("<h1>Ana López</h1>");
    for (const text of ["+525512345678", "facebook", "Roma Norte", "departamento", "Infonavit", "Perfilamiento desde", "La atiende el bot", "Acepta mensajes"]) {
      expect(html).toContain(text);
    }
    expect(html).toContain('href="tel:+525512345678"');
    expect(html).toMatch(/entre \$2,000,000 MXN y \$3,000,000 MXN/);
  });

  it("explains the score: its lines add up to the lead's score", async () => {
    const { body: lead } = await server.api("GET", `/leads/${leadId}`);
    const html = await (await admin.get(`/admin/leads/${leadId}`)).text();
    expect(html).toContain(`Puntaje: ${lead.score} de 100`);
    const total = /<tr class="total"><th scope="row">Total<\/th><td>(\d+)<\/td>/.exec(html)?.[1];
    expect(Number(total)).toBe(lead.score);
    const lines = [...html.matchAll(/<tr><th scope="row">[^<]+<\/th><td>(\d+)<\/td><td>\d+<\/td><\/tr>/g)].map((match) => Number(match[1]));
    expect(lines.length).toBe(13);
    expect(lines.reduce((sum, points) => sum + points, 0)).toBe(lead.score);
    // Budget 10, zone 8, type 6, phone 6, infonavit 8, one message 2, answered call 5, appointment 10.
    expect(lead.score).toBe(55);
    expect(html).not.toContain("Con sus datos de hoy");
  });

  it("merges every source into one timeline, newest first, and leaves out audit rows the stage history tells", async () => {
    const html = await (await admin.get(`/admin/leads/${leadId}`)).text();
    expect(timelineKeys(html)).toEqual([
      `appointment-${ids.appointment}`,
      // The PATCH's audit entry, then the call and the rest.
      expect.stringMatching(/^audit-\d+$/),
      `call-${ids.call}`,
      `campaign-${ids.campaign}`,
      `stage-${ids.moved}`,
      `message-${ids.outbound}`,
      `message-${ids.inbound}`,
      `stage-${ids.entered}`,
    ]);
    expect(html).toContain("Entrada → Perfilamiento");
    expect(html).toContain("api:admin");
    expect(html).toContain("Respondió al saludo");
    expect(html).toContain("Mensaje recibido por Telegram");
    expect(html).toContain("Mensaje enviado por WhatsApp");
    expect(html).toContain("asesora@agencia.mx");
    expect(html).toContain("Campaña «Bienvenida»");
    expect(html).toContain("Paso 1: enviar mensaje");
    expect(html).toContain("Llamada saliente");
    expect(html).toContain("Duración: 2 min 05 s");
    expect(html).toContain("Busca 2 recámaras; crédito Infonavit.");
    expect(html).toContain('href="https://meet.google.com/abc-defg-hij"');
    expect(html).toContain("Datos actualizados: notas");
    // Dates in the agency's time zone (America/Mexico_City, UTC-6): the lead was created at 16:00 UTC.
    expect(html).toContain("15 ene 2026, 10:00");
    expect(nextCursor(html)).toBeNull();
  });

  it("loads a call's transcript on its own, and only for a call of this lead", async () => {
    const response = await admin.get(`/admin/leads/${leadId}/llamadas/${ids.call}`, { "hx-request": "true" });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain("<html");
    expect(html).toContain("Agente:</span> Hola Ana, te llamo de la agencia.");
    expect(html).toContain("Lead:</span> Hola, sí, dime.");
    const other = (await server.api("POST", "/leads", { name: "Otro lead" })).body;
    const refused = await admin.get(`/admin/leads/${other.id}/llamadas/${ids.call}`, { "hx-request": "true" });
    expect(refused.status).toBe(404);
    expect(refused.headers.get("hx-retarget")).toBe("#avisos");
  });

  it("pages with Ver más through every entry once, entries at the same millisecond included", async () => {
    const lead = (await server.api("POST", "/leads", { name: "Beto Muchos Mensajes" })).body;
    // 70 messages, in pairs at the same millisecond, and a stage move in the middle.
    for (let i = 0; i < 35; i++) {
      server.clock.advance(1000);
      await insertMessage(lead.id, "inbound", "telegram", `mensaje ${2 * i}`);
      await insertMessage(lead.id, "outbound", "telegram", `respuesta ${2 * i + 1}`);
      if (i === 20) await server.api("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "perfilamiento", reason: "a mitad" });
    }
    const first = await (await admin.get(`/admin/leads/${lead.id}`)).text();
    const seen = timelineKeys(first);
    expect(seen.length).toBe(50);
    let cursor = nextCursor(first);
    let pages = 1;
    while (cursor) {
      const response = await admin.get(`/admin/leads/${lead.id}/historial?antes=${encodeURIComponent(cursor)}`, { "hx-request": "true" });
      expect(response.status).toBe(200);
      const fragment = await response.text();
      seen.push(...timelineKeys(fragment));
      cursor = nextCursor(fragment);
      pages += 1;
    }
    expect(pages).toBe(2);
    expect(seen.length).toBe(72); // 70 messages, the entry into entrada and the move
    expect(new Set(seen).size).toBe(seen.length);
    const messages = seen.filter((key) => key.startsWith("message-")).map((key) => Number(key.slice("message-".length)));
    expect(messages).toEqual([...messages].sort((a, b) => b - a));
    expect(seen.at(-1)).toMatch(/^stage-/);
  });

  it("refuses a page that does not exist or a cursor it did not give, in Spanish", async () => {
    const missing = await admin.get("/admin/leads/999999");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("No existe un lead con id 999999");
    const bad = await admin.get("/admin/leads/abc");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("El número de lead no es válido.");
    const cursor = await admin.get(`/admin/leads/${leadId}/historial?antes=ayer`, { "hx-request": "true" });
    expect(cursor.status).toBe(400);
    expect(await cursor.text()).toContain("recarga la página");
  });
});
