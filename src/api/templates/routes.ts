import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Services } from "../../services";
import type { ApiTag } from "../openapi";
import { commonErrors, errorResponse, idParams } from "../common-schemas";
import { ADMIN_ACTOR } from "../leads/routes";
import { createTemplateBody, renderBody, renderResponse, savedTemplateSchema, templateSchema, updateTemplateBody } from "./schemas";

export function templateRoutes(services: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags: ApiTag[] = ["Templates"];

    app.post(
      "/templates",
      { schema: { operationId: "createTemplate", tags, summary: "Crear una plantilla", body: createTemplateBody, response: { 201: savedTemplateSchema, ...commonErrors } } },
      async (request, reply) => reply.code(201).send(await services.templates.createTemplate(request.body, ADMIN_ACTOR)),
    );

    app.get(
      "/templates",
      { schema: { operationId: "listTemplates", tags, summary: "Listar plantillas", response: { 200: z.array(templateSchema), 401: errorResponse } } },
      async () => services.templates.listTemplates(),
    );

    app.get(
      "/templates/:id",
      { schema: { operationId: "getTemplate", tags, summary: "Una plantilla", params: idParams, response: { 200: templateSchema, ...commonErrors } } },
      async (request) => services.templates.getTemplate(request.params.id),
    );

    app.put(
      "/templates/:id",
      {
        schema: { operationId: "updateTemplate", tags, summary: "Editar una plantilla", params: idParams, body: updateTemplateBody, response: { 200: savedTemplateSchema, 409: errorResponse, ...commonErrors } },
      },
      async (request) => services.templates.updateTemplate(request.params.id, request.body, ADMIN_ACTOR),
    );

    app.delete(
      "/templates/:id",
      {
        schema: {
          operationId: "deleteTemplate",
          tags,
          summary: "Borrar una plantilla (no si la usa una campaña vigente)",
          params: idParams,
          // No body: z.undefined() documents a 204 without content.
          response: { 204: z.undefined().describe("Plantilla borrada"), 409: errorResponse, ...commonErrors },
        },
      },
      async (request, reply) => {
        await services.templates.deleteTemplate(request.params.id, ADMIN_ACTOR);
        return reply.code(204).send();
      },
    );

    app.post(
      "/templates/:id/render",
      { schema: { operationId: "renderTemplate", tags, summary: "Vista previa de la plantilla para un lead", params: idParams, body: renderBody, response: { 200: renderResponse, ...commonErrors } } },
      async (request) => services.templates.renderForLead(request.params.id, request.body.lead_id),
    );
  };
}
