import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Services } from "../../services";
import type { ApiTag } from "../openapi";
import { commonErrors, errorResponse, idParams, pageOf } from "../common-schemas";
import { leadPageView, leadView } from "./lead-view";
import { createLeadBody, leadSchema, leadWithHistorySchema, listLeadsQuery, patchLeadBody } from "./schemas";

export const ADMIN_ACTOR = "api:admin";

export function leadRoutes(services: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags: ApiTag[] = ["Leads"];

    app.post(
      "/leads",
      {
        schema: {
          operationId: "createLead",
          tags,
          summary: "Crear un lead (empieza en entrada)",
          body: createLeadBody,
          response: { 201: leadSchema, 409: errorResponse, ...commonErrors },
        },
      },
      async (request, reply) => reply.code(201).send(leadView(await services.leads.createLead(request.body, ADMIN_ACTOR))),
    );

    app.get(
      "/leads",
      { schema: { operationId: "listLeads", tags, summary: "Listar y buscar leads", querystring: listLeadsQuery, response: { 200: pageOf(leadSchema), ...commonErrors } } },
      async (request) => {
        const { skip, limit } = request.query;
        return { ...leadPageView(await services.leads.listLeads(request.query)), skip, limit };
      },
    );

    app.get(
      "/leads/:id",
      { schema: { operationId: "getLead", tags, summary: "Un lead con su historial de etapas", params: idParams, response: { 200: leadWithHistorySchema, ...commonErrors } } },
      async (request) => leadView(await services.leads.getLeadWithHistory(request.params.id)),
    );

    app.patch(
      "/leads/:id",
      {
        schema: {
          operationId: "updateLead",
          tags,
          summary: "Editar datos de un lead",
          params: idParams,
          body: patchLeadBody,
          response: { 200: leadSchema, 409: errorResponse, ...commonErrors },
        },
      },
      async (request) => leadView(await services.leads.updateLead(request.params.id, request.body, ADMIN_ACTOR)),
    );
  };
}
