/**
 * A campaign's steps from its page: add one (any time but archived, as the API allows), and change
 * or remove one only while the campaign is draft or paused (the service refuses otherwise). Admins only.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { HIDDEN, type PageKit } from "../deps";
import { idFrom, stepFrom } from "../campaign-forms";
import { campaignSummary, stepChoices } from "../campaign-page";
import { NotFoundError } from "../../src/errors";
import { redirectAfterChange } from "../form-input";
import { actorOf, frameOf, requireAdmin } from "../session-guard";

const ADMIN_ONLY = { ...HIDDEN, preHandler: requireAdmin };

function ids(request: FastifyRequest): { campaignId: number; stepId: number | null } {
  const params = request.params as { id?: unknown; stepId?: unknown };
  return { campaignId: idFrom(params.id, "Campaña"), stepId: params.stepId === undefined ? null : idFrom(params.stepId, "Paso") };
}

export function campaignStepRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  const { campaigns, templates } = deps.services;
  const back = (campaignId: number) => `/admin/campanas/${campaignId}#pasos`;

  admin.post("/campanas/:id/pasos", ADMIN_ONLY, async (request, reply) => {
    const { campaignId } = ids(request);
    await campaigns.addStep(campaignId, stepFrom(request), actorOf(request));
    return redirectAfterChange(request, reply, back(campaignId));
  });

  admin.get("/campanas/:id/pasos/:stepId/editar", ADMIN_ONLY, async (request, reply) => {
    const { campaignId, stepId } = ids(request);
    const [campaign, allTemplates] = await Promise.all([campaigns.getCampaignWithSteps(campaignId), templates.listTemplates()]);
    const step = campaign.steps.find((s) => s.id === stepId);
    if (!step) throw new NotFoundError(`un paso de la campaña ${campaignId}`, stepId ?? 0);
    return render(reply, "campaign-step-form", {
      ...frameOf(request, `Editar paso ${step.step_number}`, "campanas"),
      styles: ["campaigns.css"],
      campaign: campaignSummary(campaign),
      step,
      choices: stepChoices(campaign, allTemplates),
      stepsEditable: campaign.status === "draft" || campaign.status === "paused",
    });
  });

  admin.post("/campanas/:id/pasos/:stepId/editar", ADMIN_ONLY, async (request, reply) => {
    const { campaignId, stepId } = ids(request);
    await campaigns.updateStep(campaignId, stepId!, stepFrom(request), actorOf(request));
    return redirectAfterChange(request, reply, back(campaignId));
  });

  admin.post("/campanas/:id/pasos/:stepId/quitar", ADMIN_ONLY, async (request, reply) => {
    const { campaignId, stepId } = ids(request);
    await campaigns.removeStep(campaignId, stepId!, actorOf(request));
    return redirectAfterChange(request, reply, back(campaignId));
  });
}
