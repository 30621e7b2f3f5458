import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";

/** Bearer-token check for every route of the encapsulated plugin it is added to; any of `tokens` is accepted. */
export function requireAdminToken(app: FastifyInstance, ...tokens: (string | undefined)[]): void {
  const accepted = tokens.filter((t): t is string => Boolean(t)).map((t) => Buffer.from(t));
  // Constant-time per candidate, so the answer time does not tell how much of a token matched.
  const matches = (given: Buffer) => accepted.some((expected) => given.length === expected.length && timingSafeEqual(given, expected));
  app.addHook("onRequest", async (request, reply) => {
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7).trim() : "");
    if (!matches(given)) {
      return reply.code(401).header("www-authenticate", "Bearer").send({
        error: "unauthorized",
        message: "Falta el token de administrador o no es válido (Authorization: Bearer <ADMIN_API_TOKEN>)",
        details: [],
      });
    }
  });
}
