/**
 * Twilio's webhooks: /voice/twiml (what to do when the call is answered),
 * /voice/status (call progress), /voice/incoming (someone calls our number).
 * Every request must carry a valid X-Twilio-Signature for WEBHOOK_BASE_URL +
 * its path; otherwise 403 and nothing changes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { issuePaths, type Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import type { CallService } from "../src/services/call-service";
import type { z } from "zod";
import { connectStreamTwiml, hangupTwiml, streamUrlFor, voicemailTwiml } from "./twiml";
import { requireTwilioSignature } from "../src/channels/twilio-signed-webhooks";
import { callIdQuerySchema, incomingCallSchema, statusCallbackSchema, twimlRequestSchema } from "./twilio-webhook-bodies";

export interface VoiceWebhookOptions {
  authToken: string;
  webhookBaseUrl: string;
  agencyName: string;
}

export async function mountVoiceWebhooks(app: FastifyInstance, calls: CallService, options: VoiceWebhookOptions, guard: DispatchGuard, log: Logger): Promise<void> {
  const streamUrl = streamUrlFor(options.webhookBaseUrl);

  await app.register(async (voice) => {
    requireTwilioSignature(voice, { authToken: options.authToken, webhookBaseUrl: options.webhookBaseUrl, surface: "twilio_webhook", guard, log });

    const xml = (reply: FastifyReply, body: string) => reply.type("text/xml").send(body);
    /** Parses what Twilio posted; a body that does not parse is logged (paths only) and gets `refused`. */
    const parse = <S extends z.ZodType>(request: FastifyRequest, schema: S): { body: z.infer<S>; callId: number | undefined } | null => {
      const body = schema.safeParse(request.body ?? {});
      const query = callIdQuerySchema.safeParse(request.query ?? {});
      if (body.success && query.success) return { body: body.data, callId: query.data.call_id };
      log.warn({ path: request.url.split("?")[0], problems: [...(body.error ? issuePaths(body.error) : []), ...(query.error ? issuePaths(query.error) : [])] }, "Twilio webhook body refused");
      return null;
    };

    voice.post("/voice/twiml", { schema: { hide: true } }, async (request, reply) => {
      const parsed = parse(request, twimlRequestSchema);
      const call = parsed?.callId === undefined ? undefined : await calls.getCall(parsed.callId);
      // Anything we cannot match to a call we placed is hung up, never connected to the agent.
      if (!parsed || !call || (call.provider_call_sid && call.provider_call_sid !== parsed.body.CallSid)) return xml(reply, hangupTwiml());
      const answeredBy = parsed.body.AnsweredBy;
      if (answeredBy) await calls.recordAnsweredBy(call.id, answeredBy);
      if (/^(machine|fax)/.test(answeredBy ?? "")) return xml(reply, voicemailTwiml(options.agencyName));
      return xml(reply, connectStreamTwiml(streamUrl, call.id, call.agent_type));
    });

    voice.post("/voice/status", { schema: { hide: true } }, async (request, reply) => {
      const parsed = parse(request, statusCallbackSchema);
      if (!parsed) return reply.code(400).send({ error: "bad_request", message: "Parámetros de Twilio inválidos", details: [] });
      const { body } = parsed;
      await calls.applyStatus({
        callId: parsed.callId,
        callSid: body.CallSid,
        status: body.CallStatus,
        durationSeconds: body.CallDuration ? Number(body.CallDuration) : undefined,
        answeredBy: body.AnsweredBy,
        errorMessage: body.ErrorMessage ?? (body.ErrorCode ? `Twilio ${body.ErrorCode}` : undefined),
      });
      return reply.code(204).send();
    });

    voice.post("/voice/incoming", { schema: { hide: true } }, async (request, reply) => {
      const parsed = parse(request, incomingCallSchema);
      if (!parsed) return xml(reply, hangupTwiml());
      const call = await calls.receiveInboundCall(parsed.body.CallSid, parsed.body.From, parsed.body.To ?? "");
      return xml(reply, connectStreamTwiml(streamUrl, call.id, call.agent_type));
    });
  });
}
