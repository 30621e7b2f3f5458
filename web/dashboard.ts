/**
 * The /admin dashboard (issue 14), in Spanish, served by the same Fastify app on processes with the
 * api role. A surface like the bot: it calls services and never runs SQL.
 *
 * Everything is registered inside this one plugin, so the form parser, the cookie plugin, the session
 * guard and the security headers apply to /admin only: /api/v1 stays JSON and bearer-only.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { SESSION_ABSOLUTE_MS } from "../src/domain/accounts";
import { SignInLockedError, WrongCredentialsError } from "../src/errors";
import type { Clock } from "../src/clock";
import type { AccountService, User } from "../src/services/account-service";
import type { PipelineService } from "../src/services/pipeline-service";
import { readBoard } from "./board";
import { csrfTokenFor, csrfTokenMatches, isSameOriginRequest } from "./csrf";
import { createPageRenderer, type PageRenderer } from "./views";

export interface DashboardDeps {
  accounts: Pick<AccountService, "signIn" | "sessionFor" | "signOut">;
  pipeline: Pick<PipelineService, "listStageLeads">;
  clock: Clock;
}

export const SESSION_COOKIE = "prospecta_sesion";
const SIGN_IN_PATH = "/admin/entrar";
/** Paths under /admin that need no session. */
const PUBLIC_PATHS = new Set([SIGN_IN_PATH, "/admin/assets/app.css"]);
const CSRF_REFUSED = "La sesión expiró; recarga la página.";

const signInForm = z.object({
  correo: z.string().trim().min(1).max(320),
  contrasena: z.string().min(1).max(1024),
});

/** The signed-in person of a request under /admin (set by the guard). */
interface Person {
  user: User;
  token: string;
}

declare module "fastify" {
  interface FastifyRequest {
    person: Person | null;
  }
}

/** Register with `{ prefix: "/admin" }`. */
export function createDashboard(deps: DashboardDeps) {
  return async function dashboard(admin: FastifyInstance): Promise<void> {
    const render = createPageRenderer();
    const css = readFileSync(fileURLToPath(new URL("./assets/app.css", import.meta.url)));

    await admin.register(fastifyCookie);
    // Forms post as application/x-www-form-urlencoded; the API's JSON-only parsing is left as it is.
    admin.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 16_384 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    admin.decorateRequest("person", null);
    addSecurityHeaders(admin);

    admin.addHook("onRequest", async (request, reply) => {
      const path = request.url.split("?", 1)[0]!;
      if (PUBLIC_PATHS.has(path)) return;
      const token = request.cookies[SESSION_COOKIE];
      const session = token ? await deps.accounts.sessionFor(token) : null;
      if (!session || !token) return reply.redirect(SIGN_IN_PATH, 303);
      request.person = { user: session.user, token };
    });
    // Every change under /admin but the sign-in carries this session's token (the sign-in has no session yet).
    admin.addHook("preHandler", async (request, reply) => {
      if (request.method === "GET" || request.method === "HEAD" || !request.person) return;
      const body = request.body as Record<string, unknown> | undefined;
      const sent = body?._csrf ?? request.headers["x-csrf-token"];
      if (!isSameOriginRequest(request) || !csrfTokenMatches(request.person.token, sent)) {
        return reply.code(403).type("text/plain; charset=utf-8").send(CSRF_REFUSED);
      }
    });

    const hidden = { schema: { hide: true } };
    admin.get("/assets/app.css", hidden, async (_request, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(css));

    admin.get("/entrar", hidden, async (_request, reply) => signInPage(render, reply, { email: "", error: null }));

    admin.post("/entrar", hidden, async (request, reply) => {
      if (!isSameOriginRequest(request)) return reply.code(403).type("text/plain; charset=utf-8").send(CSRF_REFUSED);
      const form = signInForm.safeParse(request.body ?? {});
      if (!form.success) return signInPage(render, reply.code(400), { email: "", error: "Escribe tu correo y tu contraseña." });
      const { correo, contrasena } = form.data;
      try {
        const signedIn = await deps.accounts.signIn(correo, contrasena, request.ip, request.cookies[SESSION_COOKIE]);
        return reply
          .setCookie(SESSION_COOKIE, signedIn.token, {
            httpOnly: true,
            sameSite: "lax",
            path: "/admin",
            // The server ends the session (12 h unused, 7 days at most); the cookie need not outlive the longest.
            maxAge: SESSION_ABSOLUTE_MS / 1000,
            secure: request.protocol === "https",
          })
          .redirect("/admin", 303);
      } catch (error) {
        if (error instanceof WrongCredentialsError) return signInPage(render, reply.code(401), { email: correo, error: error.message });
        if (error instanceof SignInLockedError) return signInPage(render, reply.code(429), { email: correo, error: error.message });
        throw error;
      }
    });

    admin.post("/salir", hidden, async (request, reply) => {
      await deps.accounts.signOut(request.person!.token);
      return reply.clearCookie(SESSION_COOKIE, { path: "/admin" }).redirect(SIGN_IN_PATH, 303);
    });

    admin.get("/", hidden, async (request, reply) => {
      const columns = await readBoard(deps.pipeline, deps.clock.now());
      return render(reply, "board", { title: "Tablero", person: frameOf(request), columns });
    });
  };
}

function frameOf(request: FastifyRequest): { email: string; csrf: string } {
  const person = request.person!;
  return { email: person.user.email, csrf: csrfTokenFor(person.token) };
}

function signInPage(render: PageRenderer, reply: FastifyReply, form: { email: string; error: string | null }): FastifyReply {
  return render(reply, "sign-in", { title: "Entrar", person: null, ...form });
}

/** Pages hold lead data: never cached, never framed, and only this site's own styles. */
function addSecurityHeaders(admin: FastifyInstance): void {
  const headers = {
    "content-security-policy":
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  };
  // `void`: a reply is thenable (it settles once sent); setting headers returns it, nothing to wait for.
  admin.addHook("onSend", async (request, reply) => {
    void reply.headers(request.url.startsWith("/admin/assets/") ? headers : { ...headers, "cache-control": "no-store" });
  });
}
