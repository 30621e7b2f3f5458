/** Métricas: the pipeline funnel, conversion and days per stage, and calls per day; the same figures as JSON. */
import type { FastifyInstance } from "fastify";
import { HIDDEN, type DashboardDeps, type PageKit } from "../deps";
import { jsonForScript } from "../display";
import { metricsView, type MetricsData } from "../metrics-page";
import { frameOf } from "../session-guard";

/** How many days "calls per day" covers, today included. */
export const CALL_DAYS = 30;

export function metricsRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  admin.get("/metricas", HIDDEN, async (request, reply) => {
    const view = metricsView(await readMetrics(deps));
    return render(reply, "metrics", {
      ...frameOf(request, "Métricas", "metricas"),
      scripts: ["vendor/chart.umd.min.js", "charts.js"],
      styles: ["metrics.css"],
      ...view,
      funnelJson: jsonForScript(view.funnelChart),
      callsJson: jsonForScript(view.callsChart),
    });
  });

  // For scripts and other tools: the page's figures, as the services give them.
  admin.get("/api/metricas", HIDDEN, async () => readMetrics(deps));
}

async function readMetrics(deps: DashboardDeps): Promise<MetricsData> {
  const [pipeline, calls_per_day] = await Promise.all([deps.services.pipeline.metrics(), deps.services.calls.countCallsPerDay(CALL_DAYS)]);
  return { pipeline, calls_per_day };
}
