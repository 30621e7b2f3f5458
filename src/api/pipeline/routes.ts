import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Services } from "../../services";
import type { ApiTag } from "../openapi";
import { commonErrors, errorResponse } from "../common-schemas";
import { leadPageView, leadView } from "../leads/lead-view";
import { ADMIN_ACTOR } from "../leads/routes";
import {
  autoAdvanceResponse,
  inactivePage,
  inactiveQuery,
  leadIdParams,
  metricsResponse,
  moveStageBody,
  stageChangeResponse,
  stagePage,
  stagePageQuery,
  stageParams,
} from "./schemas";

export function pipelineRoutes(services: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags: ApiTag[] = ["Pipeline"];

    app.post(
      "/pipeline/leads/:id/move-stage",
      {
        schema: {
          operationId: "moveLead",
          tags,
          summary: "Mover un lead de etapa",
          params: leadIdParams,
          body: moveStageBody,
          response: { 200: stageChangeResponse, 409: errorResponse, ...commonErrors },
        },
      },
      async (request) => {
        const change = await services.pipeline.moveLeadToStage(request.params.id, request.body, ADMIN_ACTOR);
        return { ...change, lead: leadView(change.lead) };
      },
    );

    app.post(
      "/pipeline/leads/:id/auto-advance",
      {
        schema: {
          operationId: "autoAdvanceLead",
          tags,
          summary: "Avanzar una etapa si se cumplen las condiciones",
          params: leadIdParams,
          response: { 200: autoAdvanceResponse, ...commonErrors },
        },
      },
      async (request) => {
        const result = await services.pipeline.autoAdvance(request.params.id, ADMIN_ACTOR);
        return { ...result, lead: leadView(result.lead) };
      },
    );

    app.get(
      "/pipeline/stages/:stage/leads",
      { schema: { operationId: "listStageLeads", tags, summary: "Leads de una etapa", params: stageParams, querystring: stagePageQuery, response: { 200: stagePage, ...commonErrors } } },
      async (request) => {
        const { stage } = request.params;
        const { skip, limit } = request.query;
        return { ...leadPageView(await services.pipeline.listStageLeads(stage, skip, limit)), stage, skip, limit };
      },
    );

    app.get(
      "/pipeline/stages/:stage/inactive",
      {
        schema: {
          operationId: "listInactiveLeads",
          tags,
          summary: "Leads de una etapa sin actividad en N días",
          params: stageParams,
          querystring: inactiveQuery,
          response: { 200: inactivePage, ...commonErrors },
        },
      },
      async (request) => {
        const { stage } = request.params;
        const { inactivity_days, skip, limit } = request.query;
        return { ...leadPageView(await services.pipeline.listInactiveLeads(stage, inactivity_days, skip, limit)), stage, inactivity_days, skip, limit };
      },
    );

    app.get(
      "/pipeline/metrics",
      { schema: { operationId: "getPipelineMetrics", tags, summary: "Métricas del pipeline", response: { 200: metricsResponse, 401: errorResponse } } },
      async () => services.pipeline.metrics(),
    );
  };
}
