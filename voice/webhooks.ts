/**
 * Twilio's webhooks: /voice/twiml (what to do when the call is answered),
 * /voice/status (call progress), /voice/incoming (someone calls our number).
 * Every request must carry a valid X-Twilio-Signature for WEBHOOK_BASE_URL +
 * its path; otherwise 403 and nothing changes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import twilio from "twilio";
import type { Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import type { CallService } from "../src/services/call-service";
import type { z } from "zod";
import { connectStreamTwiml, hangupTwiml, streamUrlFor, voicemailTwiml } from "./twiml";
import { callIdQuerySchema, formFieldsSchema, incomingCallSchema, issuePaths, statusCallbackSchema, twimlRequestSchema } from "./twilio-webhook-bodies";

export interface VoiceWebhookOptions {
  authToken: string;
  webhookBaseUrl: string;
  agencyName: string;
}

export async function mountVoiceWebhooks(app: FastifyInstance, calls: CallService, options: VoiceWebhookOptions, guard: DispatchGuard, log: Logger): Promise<void> {
  const base = options.webhookBaseUrl.replace(/\/$/, "");
  const streamUrl = streamUrlFor(options.webhookBaseUrl);

  await app.register(async (voice) => {
    // Twilio posts application/x-www-form-urlencoded; repeated keys keep their last value, as Twilio sends none.
    voice.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    // A handler that throws still gets the API's error answer; here it is also logged and counted with the others.
    voice.addHook("onError", async (request, _reply, error) => guard.failed("twilio_webhook", { path: request.url.split("?")[0] }, error));

    voice.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
      const signature = request.headers["x-twilio-signature"];
      // Twilio posts form fields only; anything else (JSON, nested values) cannot carry a valid signature.
      const params = formFieldsSchema.safeParse(request.body ?? {});
      const valid = typeof signature === "string" && params.success && twilio.validateRequest(options.authToken, signature, `${base}${request.url}`, params.data);
      if (!valid) {
        log.warn({ path: request.url.split("?")[0] }, "Twilio webhook with a bad or missing signature refused");
        return reply.code(403).send({ error: "forbidden", message: "Firma de Twilio inválida", details: [] });
      }
    });

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
      const call = parsed?.callId === undefined ? undefined : calls.getCall(parsed.callId);
      // Anything we cannot match to a call we placed is hung up, never connected to the agent.
      if (!parsed || !call || (call.provider_call_sid && call.provider_call_sid !== parsed.body.CallSid)) return xml(reply, hangupTwiml());
      const answeredBy = parsed.body.AnsweredBy;
      if (answeredBy) calls.recordAnsweredBy(call.id, answeredBy);
      if (/^(machine|fax)/.test(answeredBy ?? "")) return xml(reply, voicemailTwiml(options.agencyName));
      return xml(reply, connectStreamTwiml(streamUrl, call.id, call.agent_type));
    });

    voice.post("/voice/status", { schema: { hide: true } }, async (request, reply) => {
      const parsed = parse(request, statusCallbackSchema);
      if (!parsed) return reply.code(400).send({ error: "bad_request", message: "Parámetros de Twilio inválidos", details: [] });
      const { body } = parsed;
      calls.applyStatus({
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
      const call = calls.receiveInboundCall(parsed.body.CallSid, parsed.body.From, parsed.body.To ?? "");
      return xml(reply, connectStreamTwiml(streamUrl, call.id, call.agent_type));
    });
  });
}
