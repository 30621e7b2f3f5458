import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Services } from "../../services";
import type { CampaignEngine } from "../../campaigns/campaign-engine";
import type { ApiTag } from "../openapi";
import { commonErrors, errorResponse, idParams } from "../common-schemas";
import { ADMIN_ACTOR } from "../leads/routes";
import {
  campaignSchema,
  campaignWithStepsSchema,
  createCampaignBody,
  createStepBody,
  logsPage,
  logsQuery,
  runPassSchema,
  statsSchema,
  stepSchema,
  updateCampaignBody,
} from "./schemas";

export function campaignRoutes(services: Services, engine: CampaignEngine): FastifyPluginAsyncZod {
  return async (app) => {
    const tags: ApiTag[] = ["Campaigns"];

    app.post(
      "/campaigns/run",
      {
        schema: {
          operationId: "runCampaigns",
          tags,
          summary: "Ejecutar ahora una pasada completa: revisar disparadores y ejecutar pasos pendientes",
          response: { 200: runPassSchema, 401: errorResponse },
        },
      },
      async () => engine.runPass(),
    );

    app.post(
      "/campaigns",
      { schema: { operationId: "createCampaign", tags, summary: "Crear una campaña (en draft)", body: createCampaignBody, response: { 201: campaignSchema, ...commonErrors } } },
      async (request, reply) => reply.code(201).send(await services.campaigns.createCampaign(request.body, ADMIN_ACTOR)),
    );

    app.get(
      "/campaigns",
      { schema: { operationId: "listCampaigns", tags, summary: "Listar campañas", response: { 200: z.array(campaignSchema), 401: errorResponse } } },
      async () => services.campaigns.listCampaigns(),
    );

    app.get(
      "/campaigns/:id",
      { schema: { operationId: "getCampaign", tags, summary: "Una campaña con sus pasos", params: idParams, response: { 200: campaignWithStepsSchema, ...commonErrors } } },
      async (request) => services.campaigns.getCampaignWithSteps(request.params.id),
    );

    app.put(
      "/campaigns/:id",
      {
        schema: {
          operationId: "updateCampaign",
          tags,
          summary: "Editar una campaña o cambiar su estado (activar, pausar, archivar)",
          params: idParams,
          body: updateCampaignBody,
          response: { 200: campaignWithStepsSchema, 409: errorResponse, ...commonErrors },
        },
      },
      async (request) => services.campaigns.updateCampaign(request.params.id, request.body, ADMIN_ACTOR),
    );

    app.post(
      "/campaigns/:id/steps",
      {
        schema: {
          operationId: "addCampaignStep",
          tags,
          summary: "Agregar un paso a una campaña",
          params: idParams,
          body: createStepBody,
          response: { 201: stepSchema, 409: errorResponse, ...commonErrors },
        },
      },
      async (request, reply) => reply.code(201).send(await services.campaigns.addStep(request.params.id, request.body, ADMIN_ACTOR)),
    );

    app.get(
      "/campaigns/:id/stats",
      { schema: { operationId: "getCampaignStats", tags, summary: "Estadísticas de una campaña", params: idParams, response: { 200: statsSchema, ...commonErrors } } },
      async (request) => services.campaigns.stats(request.params.id),
    );

    app.get(
      "/campaigns/:id/logs",
      { schema: { operationId: "listCampaignLogs", tags, summary: "Ejecuciones de una campaña", params: idParams, querystring: logsQuery, response: { 200: logsPage, ...commonErrors } } },
      async (request) => {
        const { skip, limit } = request.query;
        return { ...(await services.campaigns.logs(request.params.id, request.query)), skip, limit };
      },
    );
  };
}
