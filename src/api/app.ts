/**
 * The HTTP app, built without listening (tests and main.ts both use it).
 * Admin API under /api/v1 behind the bearer token; /healthz, /readyz, /docs and the
 * OpenAPI document are public.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Registry } from "prom-client";
import type { Logger } from "../logger";
import type { Readiness } from "../services/readiness";
import type { Services } from "../services";
import type { CampaignEngine } from "../campaigns/campaign-engine";
import { requireAdminToken } from "./auth";
import { registerErrorHandler } from "./error-handler";
import { documentForRequest, openApiOptions } from "./openapi";
import { callRoutes } from "./calls/routes";
import { campaignRoutes } from "./campaigns/routes";
import { leadRoutes } from "./leads/routes";
import { pipelineRoutes } from "./pipeline/routes";
import { templateRoutes } from "./templates/routes";

// Validation messages reach admins: Spanish.
z.config(z.locales.es());

export interface AppDeps {
  metrics: Registry;
  metricsToken: string | undefined;
  services: Services;
  campaignEngine: CampaignEngine;
  adminToken: string;
  logger: Logger;
  readiness: Readiness;
  /** The admin API, its documents and /docs: off on a process without the api role. */
  serveApi: boolean;
  /** WEBHOOK_BASE_URL: the OpenAPI document's `servers` when set, else the host each request came to. */
  publicBaseUrl?: string | undefined;
  /** TRUST_PROXY: Fastify's trustProxy (request.ip and request.protocol from X-Forwarded-* set by these proxies). */
  trustProxy?: boolean | string;
}

/**
 * One access line per request, once answered, instead of Fastify's two (one
 * on arrival, one on answer): webhooks and status callbacks arrive by the
 * hundred per second. The URL keeps its query (the voice webhooks' call ids);
 * no secret travels in one.
 */
function logEachRequestOnce(app: FastifyInstance): void {
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      "request completed",
    );
  });
}

export async function buildApp({
  services,
  campaignEngine,
  adminToken,
  logger,
  metrics,
  metricsToken,
  readiness,
  serveApi,
  publicBaseUrl,
  trustProxy = false,
}: AppDeps): Promise<FastifyInstance> {
  // Typed as the base logger so the app stays a plain FastifyInstance for plugins and tests.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy,
  }).withTypeProvider<ZodTypeProvider>();
  logEachRequestOnce(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);

  const health = { schema: { hide: true } };
  app.get("/healthz", health, async () => ({ status: "ok" }));
  // Ready to take traffic: 503 (with what is missing) while the database or the jobs are not.
  app.get("/readyz", health, async (_request, reply) => {
    const { ready, checks } = await readiness.check();
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not_ready", checks });
  });

  // Prometheus scrapes every process here, with the admin token or METRICS_TOKEN.
  await app.register(async (scrape) => {
    requireAdminToken(scrape, adminToken, metricsToken);
    scrape.get("/metrics", { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  });
  if (!serveApi) return app;

  // The document (src/api/openapi.ts) is built once; each answer adds the `servers` of its request.
  await app.register(fastifySwagger, openApiOptions);
  await app.register(fastifySwaggerUi, {
    routePrefix: "/docs",
    transformSpecification: (document, request) => documentForRequest(document, request, publicBaseUrl),
    transformSpecificationClone: false,
  });

  app.get("/api/v1/healthz", health, async () => ({ status: "ok" }));
  app.get("/api/v1/openapi.json", health, async (request) => documentForRequest(app.swagger(), request, publicBaseUrl));

  await app.register(
    async (api) => {
      requireAdminToken(api, adminToken);
      await api.register(leadRoutes(services));
      await api.register(pipelineRoutes(services));
      await api.register(campaignRoutes(services, campaignEngine));
      await api.register(templateRoutes(services));
      await api.register(callRoutes(services));
    },
    { prefix: "/api/v1" },
  );
  return app;
}
