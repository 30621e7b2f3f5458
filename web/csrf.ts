/**
 * CSRF for the dashboard's forms: a synchronizer token derived from the session, so nothing is
 * stored. Only someone holding the HttpOnly session cookie can compute it (design §2.6).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";

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
