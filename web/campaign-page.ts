/**
 * What the campaign page shows: the campaign and its steps, its figures (stats), the steps that
 * acted per day over the last 30 days (as a chart and a table), and its logs per lead, filtered
 * and paged. Read through the campaign, template and lead services, all read-only.
 */
import type { Campaign, CampaignStep, MessageTemplate } from "../db/schema";
import { dateTimeFormat } from "../src/domain/intl-formats";
import { jsonForScript, shortDay } from "./display";
import { AGENT_TYPES, PIPELINE_STAGES, STAGE_LABELS, agentTypeOrDefault } from "../src/domain/vocabulary";
import type { DashboardDeps } from "./deps";
import { ACTION_LABELS, AGENT_LABELS, CHANNEL_LABELS, LOG_STATUS_LABELS, STATUS_LABELS, describeTrigger, formatHours } from "./campaign-labels";
import type { logFilterFrom } from "./campaign-forms";

/** Days in the campaign's chart. */
export const CHART_DAYS = 30;

type LogFilter = ReturnType<typeof logFilterFrom>;

export function campaignSummary(campaign: Campaign) {
  return {
    id: campaign.id,
    name: campaign.name,
    description: campaign.description,
    status: campaign.status,
    statusLabel: STATUS_LABELS[campaign.status],
    trigger: describeTrigger(campaign),
    channel: CHANNEL_LABELS[campaign.channel],
  };
}

function stepRow(step: CampaignStep, templates: Map<number, MessageTemplate>) {
  let detail = "";
  if (step.action === "send_message") {
    const template = step.message_template_id === null ? undefined : templates.get(step.message_template_id);
    detail = template ? `Plantilla «${template.name}»` : `Plantilla #${step.message_template_id ?? "?"} (ya no existe)`;
  } else if (step.action === "update_stage") {
    detail = step.target_stage ? `A ${STAGE_LABELS[step.target_stage]}` : "";
  } else {
    detail = `Agente ${AGENT_LABELS[agentTypeOrDefault(step.agent_type)]}`;
  }
  return { id: step.id, number: step.step_number, action: ACTION_LABELS[step.action], detail, delay: formatHours(step.delay_hours) };
}

/** The step form's choices: the templates of the campaign's channel, the stages, the agents. */
export function stepChoices(campaign: Campaign, templates: MessageTemplate[]) {
  return {
    templates: templates.filter((t) => t.channel === campaign.channel).map((t) => ({ id: t.id, name: t.name })),
    stages: PIPELINE_STAGES.map((stage) => ({ value: stage, label: STAGE_LABELS[stage] })),
    agents: AGENT_TYPES.map((agent) => ({ value: agent, label: AGENT_LABELS[agent] })),
    actions: Object.entries(ACTION_LABELS).map(([value, label]) => ({ value, label })),
  };
}

function percent(rate: number): string {
  return `${Math.round(rate * 100)} %`;
}

export async function readCampaignPage(deps: DashboardDeps, id: number, filter: LogFilter) {
  const { campaigns, templates: templateService, leads } = deps.services;
  const [campaign, templates, stats, byDay, logs] = await Promise.all([
    campaigns.getCampaignWithSteps(id),
    templateService.listTemplates(),
    campaigns.stats(id),
    campaigns.statsByDay(id, CHART_DAYS),
    campaigns.logs(id, filter),
  ]);
  const templateById = new Map(templates.map((t) => [t.id, t]));
  const leadIds = [...new Set(logs.items.map((log) => log.lead_id))];
  const names = new Map(
    await Promise.all(leadIds.map(async (leadId) => [leadId, (await leads.requireLead(leadId).catch(() => null))?.name ?? null] as const)),
  );
  const when = dateTimeFormat("es-MX", { timeZone: deps.timeZone, dateStyle: "medium", timeStyle: "short" });
  const days = byDay.days.map((d) => ({ ...d, label: shortDay(d.day) }));

  return {
    campaign: campaignSummary(campaign),
    steps: campaign.steps.map((step) => stepRow(step, templateById)),
    nextStepNumber: Math.max(0, ...campaign.steps.map((s) => s.step_number)) + 1,
    choices: stepChoices(campaign, templates),
    stepsEditable: campaign.status === "draft" || campaign.status === "paused",
    canAddStep: campaign.status !== "archived",
    stats: {
      executed: stats.total_steps_executed,
      leadsContacted: stats.unique_leads_contacted,
      successRate: percent(stats.success_rate),
      failureRate: percent(stats.failure_rate),
      skipped: stats.skipped,
      needsReview: stats.needs_review,
      enrollments: stats.enrollments,
      steps: stats.steps.map((s) => ({ ...s, action: ACTION_LABELS[s.action as keyof typeof ACTION_LABELS] ?? s.action })),
    },
    byDay: {
      days,
      total: days.reduce((sum, d) => sum + d.executed, 0),
      chart: jsonForScript({
        type: "bar",
        data: {
          labels: days.map((d) => d.label),
          datasets: [
            { label: "Con éxito", data: days.map((d) => d.success), backgroundColor: "#1f6fb2" },
            { label: "Con fallo", data: days.map((d) => d.failed), backgroundColor: "#c0392b" },
          ],
        },
        options: {
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: "bottom" } },
        },
      }),
    },
    logs: {
      items: logs.items.map((log) => ({
        leadId: log.lead_id,
        leadName: names.get(log.lead_id) ?? `Lead #${log.lead_id}`,
        step: log.step_number,
        action: ACTION_LABELS[log.action],
        status: LOG_STATUS_LABELS[log.status],
        error: log.error,
        when: when.format(log.executed_at),
        needsReview: log.needs_review,
      })),
      total: logs.total,
      filter,
      statuses: Object.entries(LOG_STATUS_LABELS).map(([value, label]) => ({ value, label })),
      ...pages(id, filter, logs.total),
    },
  };
}

/** Links to the previous and next pages of logs, keeping the filter. */
function pages(id: number, filter: LogFilter, total: number) {
  const link = (skip: number) => {
    const query = new URLSearchParams();
    if (filter.lead_id !== undefined) query.set("lead_id", String(filter.lead_id));
    if (filter.status !== undefined) query.set("status", filter.status);
    if (filter.needs_review !== undefined) query.set("needs_review", String(filter.needs_review));
    if (skip > 0) query.set("skip", String(skip));
    const text = query.toString();
    return `/admin/campanas/${id}${text ? `?${text}` : ""}#registros`;
  };
  return {
    from: total === 0 ? 0 : filter.skip + 1,
    to: Math.min(total, filter.skip + filter.limit),
    previous: filter.skip > 0 ? link(Math.max(0, filter.skip - filter.limit)) : null,
    next: filter.skip + filter.limit < total ? link(filter.skip + filter.limit) : null,
  };
}
