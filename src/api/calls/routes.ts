import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Services } from "../../services";
import type { ApiTag } from "../openapi";
import { commonErrors, errorResponse, idParams } from "../common-schemas";
import { callSchema, callWithTranscriptSchema, initiateCallBody, initiatedCallSchema, leadIdParams } from "./schemas";

export function callRoutes(services: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags: ApiTag[] = ["Calls"];

    app.post(
      "/calls/initiate",
      {
        schema: {
          operationId: "initiateCall",
          tags,
          summary: "Iniciar una llamada con IA a un lead",
          body: initiateCallBody,
          response: { 201: initiatedCallSchema, 409: errorResponse, 429: errorResponse, 502: errorResponse, 503: errorResponse, ...commonErrors },
        },
      },
      async (request, reply) => {
        const call = await services.calls.initiateCall(request.body);
        return reply.code(201).send({ ...call, call_id: call.id, call_sid: call.provider_call_sid });
      },
    );

    app.get(
      "/calls/leads/:lead_id",
      { schema: { operationId: "listCallsForLead", tags, summary: "Historial de llamadas de un lead", params: leadIdParams, response: { 200: z.array(callSchema), ...commonErrors } } },
      async (request) => services.calls.listCallsForLead(request.params.lead_id),
    );

    app.get(
      "/calls/:id",
      { schema: { operationId: "getCall", tags, summary: "Detalle de una llamada con transcripción y resumen", params: idParams, response: { 200: callWithTranscriptSchema, ...commonErrors } } },
      async (request) => services.calls.getCallWithTranscript(request.params.id),
    );
  };
}
