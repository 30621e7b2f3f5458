/**
 * Twilio's webhooks: /voice/twiml (what to do when the call is answered),
 * /voice/status (call progress), /voice/incoming (someone calls our number).
 * Every request must carry a valid X-Twilio-Signature for WEBHOOK_BASE_URL +
 * its path; otherwise 403 and nothing changes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import twilio from "twilio";
import type { Logger } from "../src/logger";
import type { CallService } from "../src/services/call-service";
import { connectStreamTwiml, hangupTwiml, streamUrlFor, voicemailTwiml } from "./twiml";

export interface VoiceWebhookOptions {
  authToken: string;
  webhookBaseUrl: string;
  agencyName: string;
}

type FormBody = Record<string, string>;

export async function mountVoiceWebhooks(app: FastifyInstance, calls: CallService, options: VoiceWebhookOptions, log: Logger): Promise<void> {
  const base = options.webhookBaseUrl.replace(/\/$/, "");
  const streamUrl = streamUrlFor(options.webhookBaseUrl);

  await app.register(async (voice) => {
    // Twilio posts application/x-www-form-urlencoded; repeated keys keep their last value, as Twilio sends none.
    voice.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    voice.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
      const signature = request.headers["x-twilio-signature"];
      const params = (request.body ?? {}) as FormBody;
      const valid = typeof signature === "string" && twilio.validateRequest(options.authToken, signature, `${base}${request.url}`, params);
      if (!valid) {
        log.warn({ path: request.url.split("?")[0] }, "Twilio webhook with a bad or missing signature refused");
        return reply.code(403).send({ error: "forbidden", message: "Firma de Twilio inválida", details: [] });
      }
    });

    const xml = (reply: FastifyReply, body: string) => reply.type("text/xml").send(body);
    const callIdOf = (request: FastifyRequest) => Number((request.query as { call_id?: string }).call_id);

    voice.post("/voice/twiml", { schema: { hide: true } }, async (request, reply) => {
      const body = request.body as FormBody;
      const call = calls.getCall(callIdOf(request));
      if (!call || (call.provider_call_sid && body.CallSid && call.provider_call_sid !== body.CallSid)) return xml(reply, hangupTwiml());
      if (body.AnsweredBy) calls.recordAnsweredBy(call.id, body.AnsweredBy);
      if (/^(machine|fax)/.test(body.AnsweredBy ?? "")) return xml(reply, voicemailTwiml(options.agencyName));
      return xml(reply, connectStreamTwiml(streamUrl, call.id, call.agent_type));
    });

    voice.post("/voice/status", { schema: { hide: true } }, async (request, reply) => {
      const body = request.body as FormBody;
      const callId = callIdOf(request);
      calls.applyStatus({
        callId: Number.isInteger(callId) ? callId : undefined,
        callSid: body.CallSid ?? "",
        status: body.CallStatus ?? "",
        durationSeconds: body.CallDuration ? Number(body.CallDuration) : undefined,
        answeredBy: body.AnsweredBy,
        errorMessage: body.ErrorMessage ?? (body.ErrorCode ? `Twilio ${body.ErrorCode}` : undefined),
      });
      return reply.code(204).send();
    });

    voice.post("/voice/incoming", { schema: { hide: true } }, async (request, reply) => {
      const body = request.body as FormBody;
      if (!body.CallSid || !body.From) return xml(reply, hangupTwiml());
      const call = calls.receiveInboundCall(body.CallSid, body.From, body.To ?? "");
      return xml(reply, connectStreamTwiml(streamUrl, call.id, call.agent_type));
    });
  });
}
