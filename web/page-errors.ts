/**
 * The dashboard's one place that turns errors into answers people read: a refusal from a service
 * (DomainError) becomes an alert, inside the page's notice area for an htmx request, or a page.
 * The status follows the API's mapping, so a refused move is 409 here as it is at /api/v1.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DomainError } from "../src/errors";
import { STATUS_BY_CODE } from "../src/api/error-handler";
import { frameOf } from "./session-guard";
import { isHtmxRequest, type PageRenderer } from "./views";

/** Where an htmx request's refusal is shown (layout.eta). */
export const NOTICE_TARGET = "#avisos";

export function registerPageErrors(admin: FastifyInstance, render: PageRenderer): void {
  admin.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      const details = error.problems.map((problem) => problem.message).filter((message) => message !== error.message);
      return answer(request, reply.code(STATUS_BY_CODE[error.code] ?? 400), render, error.message, details);
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return answer(request, reply.code(error.statusCode), render, "La solicitud no es válida.", []);
    }
    request.log.error({ err: error }, "dashboard: unhandled error");
    return answer(request, reply.code(500), render, "Algo falló de nuestro lado. Inténtalo de nuevo.", []);
  });
  admin.setNotFoundHandler((request, reply) => answer(request, reply.code(404), render, "Esta página no existe.", []));
}

function answer(request: FastifyRequest, reply: FastifyReply, render: PageRenderer, message: string, details: string[]): FastifyReply {
  if (isHtmxRequest(request)) {
    return render.fragment(reply.header("hx-retarget", NOTICE_TARGET).header("hx-reswap", "innerHTML"), "alert", { message, details });
  }
  const frame = request.person ? frameOf(request, "Aviso") : { title: "Aviso", person: null };
  return render(reply, "error", { ...frame, message, details });
}
