/**
 * Métricas over real HTTP (web/routes/metrics.ts): the funnel and calls per day as charts with
 * tables of the same figures, the table per stage, and /admin/api/metricas with the same data as
 * JSON. Runs on SQLite, and on PostgreSQL with TEST_DATABASE=postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInAsAdmin, startDashboardServer, type DashboardSession } from "./dashboard-session";
import type { TestServer } from "./test-server";


let server: TestServer;
let admin: DashboardSession;

beforeAll(async () => {
  server = await startDashboardServer();
  const ids: number[] = [];
  for (const name of ["Ana", "Beto", "Carla", "Diego"]) ids.push((await server.api("POST", "/leads", { name })).body.id);
  server.clock.advance(2 * 86_400_000);
  await server.api("POST", `/pipeline/leads/${ids[0]}/move-stage`, { new_stage: "perfilamiento", reason: "respondió" });
  await server.api("POST", `/pipeline/leads/${ids[1]}/move-stage`, { new_stage: "perfilamiento", reason: "respondió" });
  await server.api("POST", `/pipeline/leads/${ids[1]}/move-stage`, { new_stage: "calificacion_financiera", reason: "dio su crédito" });
  await server.api("POST", `/pipeline/leads/${ids[3]}/move-stage`, { new_stage: "perdido", reason: "no contesta" });
  // Now 2026-01-17T16:00Z, 10:00 in Mexico City. Calls: two today, one last evening (already the 17th
  // in UTC, the 16th here), and one too old to count.
  const call = (at: string) =>
    server.sql("INSERT INTO voice_calls (lead_id, agent_type, status, created_at, updated_at) VALUES (?, 'perfilador', 'completed', ?, ?)", ids[0], new Date(at), new Date(at));
  await call("2026-01-17T15:00:00Z");
  await call("2026-01-17T15:30:00Z");
  await call("2026-01-17T02:30:00Z");
  await call("2025-12-01T18:00:00Z");
  // After the clock moved: a session lasts 12 hours unused.
  admin = await signInAsAdmin(server);
});
afterAll(async () => {
  await server?.close();
});

/** The body rows of the table with this id, as cell texts. */
function tableRows(html: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? "";
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? "";
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, "").trim()));
}

function chartConfig(html: string, id: string) {
  const json = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html)?.[1];
  return JSON.parse(json!);
}

describe("Métricas", () => {
  it("draws the funnel from the same figures its table shows", async () => {
    const response = await admin.get("/admin/metricas");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<canvas data-chart="grafica-embudo"');
    expect(html).toMatch(/src="\/admin\/assets\/vendor\/chart\.umd\.min\.js\?v=\w+"/);
    expect(html).toMatch(/src="\/admin\/assets\/charts\.js\?v=\w+"/);
    const funnel = tableRows(html, "tabla-embudo");
    expect(funnel).toEqual([
      // Every lead entered, the lost one too.
      ["Entrada", "4"],
      ["Perfilamiento", "2"],
      ["Calificación financiera", "1"],
      ["Agendado", "0"],
      ["Seguimiento", "0"],
      ["Ganado", "0"],
    ]);
    const chart = chartConfig(html, "grafica-embudo");
    expect(chart.type).toBe("bar");
    expect(chart.data.labels).toEqual(funnel.map((row) => row[0]));
    expect(chart.data.datasets[0].data).toEqual(funnel.map((row) => Number(row[1])));
  });

  it("shows per stage its count, its conversion to the next stage and its days in stage", async () => {
    const html = await (await admin.get("/admin/metricas")).text();
    const stages = tableRows(html, "tabla-etapas");
    expect(stages.map((row) => row[0])).toEqual(["Entrada", "Perfilamiento", "Calificación financiera", "Agendado", "Seguimiento", "Ganado", "Perdido"]);
    expect(stages[0]).toEqual(["Entrada", "1", "25%", "50%", "2 días", "2 días"]);
    expect(stages[1]).toEqual(["Perfilamiento", "1", "25%", "50%", "0 días", "0 días"]);
    expect(stages[3]).toEqual(["Agendado", "0", "0%", "—", "—", "—"]);
    expect(stages[6]).toEqual(["Perdido", "1", "25%", "—", "0 días", "0 días"]);
  });

  it("counts calls per local day for the last 30 days, in a chart and a table", async () => {
    const html = await (await admin.get("/admin/metricas")).text();
    const rows = tableRows(html, "tabla-llamadas");
    expect(rows.length).toBe(30);
    expect(rows.at(-1)).toEqual(["sábado, 17 de enero de 2026", "2"]);
    expect(rows.at(-2)).toEqual(["viernes, 16 de enero de 2026", "1"]);
    expect(rows.reduce((sum, row) => sum + Number(row[1]), 0)).toBe(3);
    const chart = chartConfig(html, "grafica-llamadas");
    expect(chart.data.datasets[0].data).toEqual(rows.map((row) => Number(row[1])));
    expect(chart.data.labels.at(-1)).toBe("17 ene");
    expect(html).toContain("3 llamadas en los últimos 30 días.");
  });

  it("answers /admin/api/metricas with the same data as JSON, and 401 without a session", async () => {
    const response = await admin.get("/admin/api/metricas");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const data: any = await response.json();
    expect(data.pipeline.totals).toEqual({ leads: 4, open: 3, won: 0, lost: 1, win_rate: 0 });
    expect(data.pipeline.stages.find((row: { stage: string }) => row.stage === "entrada")).toMatchObject({ count: 1, reached: 4, conversion_to_next: 0.5 });
    expect(data.calls_per_day).toHaveLength(30);
    expect(data.calls_per_day.at(-1)).toEqual({ day: "2026-01-17", count: 2 });
    expect(data.calls_per_day.at(-2)).toEqual({ day: "2026-01-16", count: 1 });
    expect(data.calls_per_day[0]).toEqual({ day: "2025-12-19", count: 0 });

    const anonymous = await fetch(`${server.baseUrl}/admin/api/metricas`);
    expect(anonymous.status).toBe(401);
  });
});
