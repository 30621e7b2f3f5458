/**
 * What every Twilio webhook scope shares (voice and WhatsApp): the
 * form-encoded body parser, and X-Twilio-Signature checked with the twilio
 * library over WEBHOOK_BASE_URL + the path and query and every posted field
 * (Twilio adds fields without notice; they are all in the signature). A bad
 * or missing signature gets 403 before any handler runs. Handler failures go
 * to the dispatch guard.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import twilio from "twilio";
import { z } from "zod";
import type { Logger } from "../logger";
import type { DispatchGuard, Surface } from "../observability/dispatch-guard";

/** Any form body: field names to string values (what the signature covers). */
export const formFieldsSchema = z.record(z.string(), z.string());

export interface SignedWebhookOptions {
  authToken: string;
  webhookBaseUrl: string;
  surface: Extract<Surface, "twilio_webhook" | "whatsapp_webhook">;
  guard: DispatchGuard;
  log: Logger;
}

/** Installs the parser and the checks on an encapsulated Fastify scope (a plugin's instance). */
export function requireTwilioSignature(scope: FastifyInstance, options: SignedWebhookOptions): void {
  const base = options.webhookBaseUrl.replace(/\/$/, "");
  // Repeated keys keep their last value, as Twilio sends none.
  scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // A handler that throws still gets the API's error answer; here it is also logged and counted with the others.
  scope.addHook("onError", async (request, _reply, error) => options.guard.failed(options.surface, { path: request.url.split("?")[0] }, error));

  scope.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
    const signature = request.headers["x-twilio-signature"];
    // Twilio posts form fields only; anything else (JSON, nested values) cannot carry a valid signature.
    const params = formFieldsSchema.safeParse(request.body ?? {});
    const valid = typeof signature === "string" && params.success && twilio.validateRequest(options.authToken, signature, `${base}${request.url}`, params.data);
    if (!valid) {
      options.log.warn({ path: request.url.split("?")[0] }, "Twilio webhook with a bad or missing signature refused");
      return reply.code(403).send({ error: "forbidden", message: "Firma de Twilio inválida", details: [] });
    }
  });
}
