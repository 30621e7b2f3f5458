/**
 * What Métricas shows, from the pipeline's metrics and the calls per day: the figures in the words
 * people read, and the chart.js configurations drawn from the same figures (web/assets/charts.js).
 * Every chart has a table with its numbers, so nothing is only in a picture.
 */
import { MAIN_PATH } from "../src/domain/pipeline";
import { numberFormat } from "../src/domain/intl-formats";
import { longDay, shortDay } from "./display";
import type { DayCount } from "../src/domain/daily-buckets";
import { STAGE_LABELS, type PipelineStage } from "../src/domain/vocabulary";
import type { PipelineService } from "../src/services/pipeline-service";

export type PipelineMetrics = Awaited<ReturnType<PipelineService["metrics"]>>;

/** What GET /admin/api/metricas answers, and what the page is drawn from. */
export interface MetricsData {
  pipeline: PipelineMetrics;
  calls_per_day: DayCount[];
}

/** The chart.js configuration a `<canvas data-chart>` reads: plain JSON, no functions (the CSP allows no eval). */
export interface ChartConfig {
  type: "bar" | "line";
  data: { labels: string[]; datasets: { label: string; data: number[]; backgroundColor?: string; borderColor?: string }[] };
  options: Record<string, unknown>;
}

const percent = (value: number | null) =>
  value === null ? "—" : numberFormat("es-MX", { style: "percent", maximumFractionDigits: 1 }).format(value);
const days = (value: number | null) =>
  value === null ? "—" : `${numberFormat("es-MX", { maximumFractionDigits: 1 }).format(value)} ${value === 1 ? "día" : "días"}`;


const BLUE = "#1f6fb2";

export function metricsView(data: MetricsData) {
  const { pipeline } = data;
  const byStage = new Map(pipeline.stages.map((row) => [row.stage, row]));
  const funnel = MAIN_PATH.map((stage: PipelineStage) => ({ stage: STAGE_LABELS[stage], reached: byStage.get(stage)?.reached ?? 0 }));
  const calls = data.calls_per_day.map((row) => ({ day: row.day, label: shortDay(row.day), longLabel: longDay(row.day), count: row.count }));
  const totalCalls = calls.reduce((sum, row) => sum + row.count, 0);

  const funnelChart: ChartConfig = {
    type: "bar",
    data: { labels: funnel.map((row) => row.stage), datasets: [{ label: "Leads que llegaron", data: funnel.map((row) => row.reached), backgroundColor: BLUE }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  };
  const callsChart: ChartConfig = {
    type: "bar",
    data: { labels: calls.map((row) => row.label), datasets: [{ label: "Llamadas", data: calls.map((row) => row.count), backgroundColor: BLUE }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  };

  return {
    totals: [
      { label: "Leads", value: String(pipeline.totals.leads) },
      { label: "Abiertos", value: String(pipeline.totals.open) },
      { label: "Ganados", value: String(pipeline.totals.won) },
      { label: "Perdidos", value: String(pipeline.totals.lost) },
      { label: "Tasa de cierre (ganados entre cerrados)", value: percent(pipeline.totals.win_rate) },
    ],
    funnel,
    funnelChart,
    funnelSummary: `Embudo: ${funnel.map((row) => `${row.stage} ${row.reached}`).join(", ")}.`,
    stages: pipeline.stages.map((row) => ({
      stage: STAGE_LABELS[row.stage],
      count: row.count,
      share: percent(row.share),
      conversion: percent(row.conversion_to_next),
      avgDays: days(row.avg_days_in_stage),
      medianDays: days(row.median_days_in_stage),
    })),
    calls,
    totalCalls,
    callsChart,
    callsSummary: `${totalCalls} ${totalCalls === 1 ? "llamada" : "llamadas"} en los últimos ${calls.length} días.`,
  };
}

