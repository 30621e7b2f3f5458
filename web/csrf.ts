/**
 * CSRF for the dashboard's forms: a synchronizer token derived from the session, so nothing is
 * stored. Only someone holding the HttpOnly session cookie can compute it (design §2.6).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";

export const CSRF_REFUSED = "La sesión expiró; recarga la página.";

/** base64url(HMAC-SHA256(key = session token, "prospecta-csrf")). */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("prospecta-csrf").digest("base64url");
}

/** Whether `sent` (the form's `_csrf` or the x-csrf-token header) is this session's token, compared in constant time. */
export function csrfTokenMatches(sessionToken: string, sent: unknown): boolean {
  if (typeof sent !== "string") return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Whether a state-changing request comes from a page of this site, as far as the browser says:
 * Sec-Fetch-Site, else Origin against the Host it was sent to. A client that sends neither
 * (curl, a script) is no browser that a third-party page could have driven.
 */
export function isSameOriginRequest(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (typeof site === "string") return site === "same-origin" || site === "none";
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  return origin === `${request.protocol}://${request.host}`;
}

/**
 * Every change under /admin but the sign-in carries this session's token: the form's `_csrf` field or
 * the x-csrf-token header (htmx sends it from the page's hx-headers). The sign-in has no session yet.
 */
export function addCsrfCheck(admin: FastifyInstance): void {
  admin.addHook("preHandler", async (request, reply) => {
    if (request.method === "GET" || request.method === "HEAD" || !request.person) return;
    const body = request.body as Record<string, unknown> | undefined;
    const sent = body?._csrf ?? request.headers["x-csrf-token"];
    if (!isSameOriginRequest(request) || !csrfTokenMatches(request.person.token, sent)) {
      return reply.code(403).type("text/plain; charset=utf-8").send(CSRF_REFUSED);
    }
  });
}
