/**
 * Who is asking: the session cookie → the signed-in person, set on the request for every route
 * under /admin but the sign-in page and the static files. Without a session a page is sent to the
 * sign-in form; a request made by script (htmx, /admin/api, the live feed) gets 401 instead.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ForbiddenError } from "../src/errors";
import type { AccountService, User } from "../src/services/account-service";
import { csrfTokenFor } from "./csrf";
import { isHtmxRequest, type PageFrame } from "./views";

export const SESSION_COOKIE = "prospecta_sesion";
export const SIGN_IN_PATH = "/admin/entrar";

/** The signed-in person of a request under /admin (set by the guard). */
export interface Person {
  user: User;
  token: string;
}

declare module "fastify" {
  interface FastifyRequest {
    person: Person | null;
  }
}

function isPublic(path: string): boolean {
  return path === SIGN_IN_PATH || path.startsWith("/admin/assets/");
}

/** A request whose answer is read by a script, not shown as a page. */
function isScripted(request: FastifyRequest, path: string): boolean {
  return isHtmxRequest(request) || path.startsWith("/admin/api/") || path === "/admin/eventos";
}

export function addSessionGuard(admin: FastifyInstance, accounts: Pick<AccountService, "sessionFor">): void {
  admin.decorateRequest("person", null);
  admin.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?", 1)[0]!;
    if (isPublic(path)) return;
    const token = request.cookies[SESSION_COOKIE];
    const session = token ? await accounts.sessionFor(token) : null;
    if (session && token) {
      request.person = { user: session.user, token };
      return;
    }
    if (isScripted(request, path)) {
      // htmx follows HX-Redirect before it looks at the status.
      return reply.code(401).header("hx-redirect", SIGN_IN_PATH).send({ error: "unauthorized", message: "Inicia sesión para continuar." });
    }
    const back = request.method === "GET" ? `?siguiente=${encodeURIComponent(request.url)}` : "";
    return reply.redirect(`${SIGN_IN_PATH}${back}`, 303);
  });
}

/** Where to go after signing in: only a page of this dashboard, never another site. */
export function safeNextPath(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/admin/") || next.startsWith("//") || next.includes("\\")) return "/admin/tablero";
  if (next.startsWith(SIGN_IN_PATH)) return "/admin/tablero";
  return next;
}

/** The signed-in person; the guard has run, so a route without one is a bug. */
export function personOf(request: FastifyRequest): Person {
  if (!request.person) throw new Error("dashboard route reached without a session");
  return request.person;
}

/** The audit actor of a change made from the dashboard, like the bot's telegram:admin:<id>. */
export function actorOf(request: FastifyRequest): string {
  return `web:${personOf(request).user.email}`;
}

/** For routes only admins may use (forcing a move, campaigns, users): asesores get 403. */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  if (personOf(request).user.role !== "admin") throw new ForbiddenError("Solo un administrador puede hacer esto.");
}

/** The layout's data for a page seen by this request's person. */
export function frameOf(request: FastifyRequest, title: string, nav?: PageFrame["nav"]): PageFrame {
  const { user, token } = personOf(request);
  return { title, nav, person: { email: user.email, name: user.name, role: user.role, csrf: csrfTokenFor(token) } };
}

export function clearSession(reply: FastifyReply): FastifyReply {
  return reply.clearCookie(SESSION_COOKIE, { path: "/admin" });
}
