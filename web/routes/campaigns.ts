/**
 * Campañas: the list, creating and editing a campaign, activating and pausing it, and its page with
 * steps, figures, the chart over time and the logs. Changes are an admin's; asesores read.
 * Every change is one call to the campaign service, audited as web:<email>, as the API's are.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Campaign } from "../../db/schema";
import { CAMPAIGN_TRIGGERS, CHANNELS, PIPELINE_STAGES, STAGE_LABELS } from "../../src/domain/vocabulary";
import { parseTrigger } from "../../src/domain/campaign-rules";
import { STATUS_BY_CODE } from "../../src/api/error-handler";
import { DomainError } from "../../src/errors";
import { HIDDEN, type PageKit } from "../deps";
import { CHANNEL_LABELS, STATUS_LABELS, TRIGGER_LABELS, describeTrigger } from "../campaign-labels";
import { CHART_DAYS, readCampaignPage } from "../campaign-page";
import { editedCampaignFrom, idFrom, logFilterFrom, newCampaignFrom, statusFrom } from "../campaign-forms";
import { redirectAfterChange } from "../form-input";
import { actorOf, frameOf, personOf, requireAdmin } from "../session-guard";

const ADMIN_ONLY = { ...HIDDEN, preHandler: requireAdmin };

const isAdmin = (request: FastifyRequest) => personOf(request).user.role === "admin";
const campaignId = (request: FastifyRequest) => idFrom((request.params as { id?: unknown }).id, "Campaña");

/** The campaign form's choices and its values (a new campaign starts as the guide's: stage_change on entrada, Telegram). */
function campaignForm(campaign: Campaign | null) {
  const trigger = campaign ? parseTrigger(campaign) : null;
  const condition: Record<string, unknown> = trigger?.trigger_condition ?? {};
  return {
    values: {
      name: campaign?.name ?? "",
      description: campaign?.description ?? "",
      channel: campaign?.channel ?? "telegram",
      triggered_by: campaign?.triggered_by ?? "stage_change",
      stage: String(condition.stage ?? "entrada"),
      score_min: String(condition.score_min ?? ""),
      score_max: String(condition.score_max ?? ""),
      inactivity_days: String(condition.inactivity_days ?? ""),
    },
    channels: CHANNELS.map((value) => ({ value, label: CHANNEL_LABELS[value] })),
    triggers: CAMPAIGN_TRIGGERS.map((value) => ({ value, label: TRIGGER_LABELS[value] })),
    stages: PIPELINE_STAGES.map((value) => ({ value, label: STAGE_LABELS[value] })),
  };
}

export function campaignRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  const { campaigns } = deps.services;

  admin.get("/campanas", HIDDEN, async (request, reply) => {
    const rows = (await campaigns.listCampaignsWithFigures()).map((c) => ({
      id: c.id,
      name: c.name,
      trigger: describeTrigger(c),
      channel: CHANNEL_LABELS[c.channel],
      status: STATUS_LABELS[c.status],
      steps: c.steps,
      enrolled: c.enrolled,
      executed: c.executed,
    }));
    return render(reply, "campaigns", { ...frameOf(request, "Campañas", "campanas"), styles: ["campaigns.css"], campaigns: rows, isAdmin: isAdmin(request) });
  });

  admin.get("/campanas/nueva", ADMIN_ONLY, async (request, reply) =>
    render(reply, "campaign-form", { ...frameOf(request, "Nueva campaña", "campanas"), styles: ["campaigns.css"], ...campaignForm(null), action: "/admin/campanas/nueva", campaignId: null }),
  );

  admin.post("/campanas/nueva", ADMIN_ONLY, async (request, reply) => {
    const created = await campaigns.createCampaign(newCampaignFrom(request), actorOf(request));
    return redirectAfterChange(request, reply, `/admin/campanas/${created.id}`);
  });

  admin.get("/campanas/:id", HIDDEN, async (request, reply) => {
    const page = await readCampaignPage(deps, campaignId(request), logFilterFrom(request));
    return render(reply, "campaign", {
      ...frameOf(request, page.campaign.name, "campanas"),
      ...page,
      isAdmin: isAdmin(request),
      chartDays: CHART_DAYS,
      scripts: ["vendor/chart.umd.min.js", "charts.js"],
      styles: ["campaigns.css"],
    });
  });

  admin.get("/campanas/:id/editar", ADMIN_ONLY, async (request, reply) => {
    const campaign = await campaigns.getCampaignWithSteps(campaignId(request));
    return render(reply, "campaign-form", {
      ...frameOf(request, `Editar ${campaign.name}`, "campanas"),
      styles: ["campaigns.css"],
      ...campaignForm(campaign),
      action: `/admin/campanas/${campaign.id}/editar`,
      campaignId: campaign.id,
    });
  });

  admin.post("/campanas/:id/editar", ADMIN_ONLY, async (request, reply) => {
    const id = campaignId(request);
    await campaigns.updateCampaign(id, editedCampaignFrom(request), actorOf(request));
    return redirectAfterChange(request, reply, `/admin/campanas/${id}`);
  });

  // Activar / Pausar: activation enrolls the leads that already match (the engine listens to the service).
  admin.post("/campanas/:id/estado", ADMIN_ONLY, async (request, reply) => {
    const id = campaignId(request);
    await campaigns.updateCampaign(id, { status: statusFrom(request) }, actorOf(request));
    return redirectAfterChange(request, reply, `/admin/campanas/${id}`);
  });

  /** The chart's figures as JSON: steps that acted per local day over the last 30 days. */
  admin.get("/api/campanas/:id/por-dia", HIDDEN, async (request, reply) => {
    try {
      return await campaigns.statsByDay(campaignId(request), CHART_DAYS);
    } catch (error) {
      // A script reads this: its refusal is JSON, as the API's, not the error page.
      if (!(error instanceof DomainError)) throw error;
      return reply.code(STATUS_BY_CODE[error.code] ?? 400).send({ error: error.code, message: error.message, details: error.problems });
    }
  });
}
