import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";

/** Bearer-token check for every route of the encapsulated plugin it is added to. */
export function requireAdminToken(app: FastifyInstance, token: string): void {
  const expected = Buffer.from(token);
  app.addHook("onRequest", async (request, reply) => {
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7).trim() : "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).header("www-authenticate", "Bearer").send({
        error: "unauthorized",
        message: "Falta el token de administrador o no es válido (Authorization: Bearer <ADMIN_API_TOKEN>)",
        details: [],
      });
    }
  });
}
