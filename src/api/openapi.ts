/**
 * The OpenAPI document of /api/v1, as served at /api/v1/openapi.json and /docs.
 *
 * Built by @fastify/swagger from the routes' zod schemas (fastify-type-provider-zod
 * converts them). What this module adds:
 *  - one tag per resource, described, and the error answers described once in
 *    `components.responses` and referenced by every operation that gives them;
 *  - only the components the operations use: the zod converter emits an input
 *    (`…Input`) and an output variant of every schema with an id, whichever side
 *    the routes use it on, and the unused half has untyped dates;
 *  - `servers`, set per request: WEBHOOK_BASE_URL when configured, else the
 *    origin the request came to. The document itself is built once and cached.
 */
import type { FastifyRequest } from "fastify";
import type { FastifyDynamicSwaggerOptions } from "@fastify/swagger";
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from "fastify-type-provider-zod";

/** The tags of the operations, in the order /docs shows them. */
export const API_TAGS = [
  { name: "Leads", description: "Alta, búsqueda y edición de leads" },
  { name: "Pipeline", description: "Etapas del pipeline: mover, avanzar, listar por etapa, métricas" },
  { name: "Campaigns", description: "Campañas automáticas, sus pasos, estadísticas y ejecuciones" },
  { name: "Templates", description: "Plantillas de mensajes con {{variables}}" },
  { name: "Calls", description: "Llamadas con IA: iniciar, historial por lead, transcripción" },
] as const;

export type ApiTag = (typeof API_TAGS)[number]["name"];

const ERROR_SCHEMA_REF = "#/components/schemas/Error";

/** Each error status the API answers, described once; every answer has the `Error` shape. */
const ERROR_RESPONSES: Record<string, { name: string; description: string }> = {
  "400": { name: "BadRequest", description: "La solicitud no es válida: `details` lista cada campo con su problema" },
  "401": { name: "Unauthorized", description: "Falta el token de administrador o no es válido (Authorization: Bearer <ADMIN_API_TOKEN>)" },
  "404": { name: "NotFound", description: "No existe el registro indicado" },
  "409": { name: "Conflict", description: "El cambio choca con el estado actual (p. ej. un teléfono repetido, un paso no permitido)" },
  "429": { name: "TooManyRequests", description: "Demasiadas solicitudes de este tipo a la vez: reintentar más tarde" },
  "502": { name: "BadGateway", description: "El proveedor externo (p. ej. Twilio) rechazó o no respondió la solicitud" },
  "503": { name: "ServiceUnavailable", description: "El servicio necesario no está configurado o no está disponible" },
};

const errorResponseComponents = Object.fromEntries(
  Object.values(ERROR_RESPONSES).map(({ name, description }) => [
    name,
    { description, content: { "application/json": { schema: { $ref: ERROR_SCHEMA_REF } } } },
  ]),
);

type JsonObject = { [key: string]: unknown };
const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Each operation's error answers of the `Error` shape become a reference to the shared response of their status. */
function referenceErrorResponses(document: JsonObject): void {
  const paths = isObject(document.paths) ? document.paths : {};
  for (const pathItem of Object.values(paths)) {
    if (!isObject(pathItem)) continue;
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        const shared = ERROR_RESPONSES[status];
        if (!shared || !isObject(response) || !isObject(response.content)) continue;
        const media = response.content["application/json"];
        if (isObject(media) && isObject(media.schema) && media.schema.$ref === ERROR_SCHEMA_REF) {
          operation.responses[status] = { $ref: `#/components/responses/${shared.name}` };
        }
      }
    }
  }
}

/** Every local `$ref` under `value`. */
function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, into);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string") into.add(child);
      else collectRefs(child, into);
    }
  }
}

/** Keeps the schemas and responses that the operations reach, directly or through other components. */
function keepUsedComponents(document: JsonObject): void {
  const components = isObject(document.components) ? document.components : {};
  const kinds = ["schemas", "responses"] as const;
  const used = new Set<string>();
  const pending: string[] = [];
  const visit = (value: unknown) => {
    const found = new Set<string>();
    collectRefs(value, found);
    for (const ref of found) {
      if (!used.has(ref)) {
        used.add(ref);
        pending.push(ref);
      }
    }
  };
  visit(document.paths);
  for (let ref = pending.pop(); ref !== undefined; ref = pending.pop()) {
    const [, , kind, name] = ref.split("/");
    const group = kind && components[kind];
    if (name && isObject(group)) visit(group[name]);
  }
  for (const kind of kinds) {
    const group = components[kind];
    if (!isObject(group)) continue;
    components[kind] = Object.fromEntries(Object.entries(group).filter(([name]) => used.has(`#/components/${kind}/${name}`)));
  }
}

const zodTransform = createJsonSchemaTransform({});
const zodTransformObject = createJsonSchemaTransformObject({});

/** @fastify/swagger's options for the admin API. */
export const openApiOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    // 3.0 (`nullable`) rather than 3.1: what most client generators and no-code tools still read best.
    openapi: "3.0.3",
    info: {
      title: "Prospecta — API de administración",
      description: "Leads, pipeline, campañas, plantillas y llamadas. Autenticación: `Authorization: Bearer <ADMIN_API_TOKEN>`.",
      version: "0.1.0",
    },
    tags: API_TAGS.map((tag) => ({ ...tag })),
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      responses: errorResponseComponents,
    },
    security: [{ bearer: [] }],
  },
  transform: zodTransform,
  transformObject: (input) => {
    const document = zodTransformObject(input) as JsonObject;
    referenceErrorResponses(document);
    keepUsedComponents(document);
    return document;
  },
};

/**
 * Where the API is, for the document's `servers`: WEBHOOK_BASE_URL when set
 * (the public https address behind any proxy), else the scheme and host the
 * request came to. The paths already start with /api/v1.
 */
export function apiServerUrl(request: FastifyRequest, publicBaseUrl: string | undefined): string {
  if (publicBaseUrl) return publicBaseUrl.replace(/\/+$/, "");
  return request.host ? `${request.protocol}://${request.host}` : "/";
}

/** The cached document with the `servers` of this request, placed after `info`; the cached object is not changed. */
export function documentForRequest(document: object, request: FastifyRequest, publicBaseUrl: string | undefined): Record<string, unknown> {
  const { openapi, info, servers: _servers, ...rest } = document as Record<string, unknown>;
  return { openapi, info, servers: [{ url: apiServerUrl(request, publicBaseUrl) }], ...rest };
}
