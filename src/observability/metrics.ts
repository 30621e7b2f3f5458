/**
 * Prometheus metrics (prom-client) for GET /metrics. Totals that the database
 * already knows (messages, campaign steps, calls, leads per stage) are read
 * from it at scrape time with one GROUP BY each, so nothing can drift; what
 * only happens in memory (LLM calls and their latency) is counted as it happens.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Database, Q } from "../../db/database";
import {
  countCallsByStatus,
  countCampaignStepsByActionAndStatus,
  countLeadsByStage,
  countMessagesByDirectionAndChannel,
} from "../../db/repositories/observability-repository";
import type { FailureCounter } from "./dispatch-guard";

export interface LlmObserver {
  /** One model call: which use, how it ended, how long it took. */
  observe(use: "extraction" | "chat_agent" | "call_summary", outcome: "ok" | "error", seconds: number): void;
}

export function createMetrics(db: Database) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "prospecta_" });

  const llmCalls = new Counter({ name: "prospecta_llm_calls_total", help: "Model calls by use and outcome", labelNames: ["use", "outcome"], registers: [registry] });
  const llmLatency = new Histogram({
    name: "prospecta_llm_call_seconds",
    help: "Model call latency",
    labelNames: ["use"],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20],
    registers: [registry],
  });

  const handlerFailures = new Counter({
    name: "prospecta_handler_failures_total",
    help: "Inbound handlers that threw and were skipped, by surface (frames, events, webhooks, updates, jobs)",
    labelNames: ["surface"],
    registers: [registry],
  });
  const failures: FailureCounter = { count: (surface) => handlerFailures.inc({ surface }) };

  /** A gauge whose values come from one query at each scrape (prom-client awaits `collect`). */
  function fromDatabase(name: string, help: string, labelNames: string[], query: (q: Q) => Promise<Record<string, string | number>[]>) {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const rows = await db.run(query);
        this.reset();
        for (const row of rows) {
          const labels = Object.fromEntries(labelNames.map((label) => [label, String(row[label])]));
          this.set(labels, Number(row.n));
        }
      },
    });
  }

  fromDatabase("prospecta_messages_total", "Messages stored, by direction and channel", ["direction", "channel"], countMessagesByDirectionAndChannel);
  fromDatabase("prospecta_campaign_steps_total", "Campaign step executions by action and outcome", ["action", "status"], countCampaignStepsByActionAndStatus);
  fromDatabase("prospecta_calls_total", "Voice calls by status", ["status"], countCallsByStatus);
  fromDatabase("prospecta_leads", "Leads per pipeline stage", ["stage"], countLeadsByStage);

  const llm: LlmObserver = {
    observe(use, outcome, seconds) {
      llmCalls.inc({ use, outcome });
      llmLatency.observe({ use }, seconds);
    },
  };
  return { registry, llm, failures };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Times a model call for the observer, passing its result or error through. */
export async function timed<T>(observer: LlmObserver | undefined, use: Parameters<LlmObserver["observe"]>[0], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await work();
    observer?.observe(use, "ok", (performance.now() - started) / 1000);
    return result;
  } catch (error) {
    observer?.observe(use, "error", (performance.now() - started) / 1000);
    throw error;
  }
}
