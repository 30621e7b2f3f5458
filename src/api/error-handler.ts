/** The one place that turns errors into HTTP answers. */
import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { DomainError, type Problem } from "../errors";

export const STATUS_BY_CODE: Record<string, number> = {
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  service_unavailable: 503,
  too_many: 429,
  provider_error: 502,
};

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? "body";
      const details: Problem[] = error.validation.map((issue) => ({
        path: issue.instancePath.replace(/^\//, "").replaceAll("/", ".") || where,
        message: issue.message ?? "valor inválido",
      }));
      return reply.code(400).send({ error: "validation_error", message: "La solicitud tiene errores", details });
    }
    if (error instanceof DomainError) {
      return reply
        .code(STATUS_BY_CODE[error.code] ?? 400)
        .send({ error: error.code, message: error.message, details: error.problems });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, "response did not match its schema");
      return reply.code(500).send({ error: "internal_error", message: "Error interno del servidor", details: [] });
    }
    if (error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
      return reply.code(400).send({
        error: "validation_error",
        message: "El cuerpo no es JSON válido",
        details: [{ path: "body", message: error.message }],
      });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: error.code ?? "bad_request", message: error.message, details: [] });
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.code(500).send({ error: "internal_error", message: "Error interno del servidor", details: [] });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: "not_found", message: `No existe la ruta ${request.method} ${request.url.split("?")[0]}`, details: [] });
  });
}
