/** Signing in and out: a plain form that works without JavaScript. */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { SESSION_ABSOLUTE_MS } from "../../src/domain/accounts";
import { SignInLockedError, WrongCredentialsError } from "../../src/errors";
import { CSRF_REFUSED, isSameOriginRequest } from "../csrf";
import { HIDDEN, type PageKit } from "../deps";
import { clearSession, personOf, safeNextPath, SESSION_COOKIE, SIGN_IN_PATH } from "../session-guard";
import type { PageRenderer } from "../views";

const signInForm = z.object({
  correo: z.string().trim().min(1).max(320),
  contrasena: z.string().min(1).max(1024),
  siguiente: z.string().max(2048).optional(),
});

export function signInRoutes(admin: FastifyInstance, { deps, render }: PageKit): void {
  admin.get("/entrar", HIDDEN, async (request, reply) => {
    const next = (request.query as { siguiente?: unknown }).siguiente;
    return signInPage(render, reply, { email: "", error: null, next: safeNextPath(next) });
  });

  admin.post("/entrar", HIDDEN, async (request, reply) => {
    // No session yet, so no token: the browser's own word on where the form came from (login CSRF).
    if (!isSameOriginRequest(request)) return reply.code(403).type("text/plain; charset=utf-8").send(CSRF_REFUSED);
    const form = signInForm.safeParse(request.body ?? {});
    if (!form.success) return signInPage(render, reply.code(400), { email: "", error: "Escribe tu correo y tu contraseña.", next: "/admin/tablero" });
    const { correo, contrasena } = form.data;
    const next = safeNextPath(form.data.siguiente);
    try {
      const signedIn = await deps.services.accounts.signIn(correo, contrasena, request.ip, request.cookies[SESSION_COOKIE]);
      return reply
        .setCookie(SESSION_COOKIE, signedIn.token, {
          httpOnly: true,
          sameSite: "lax",
          path: "/admin",
          // The server ends the session (12 h unused, 7 days at most); the cookie need not outlive the longest.
          maxAge: SESSION_ABSOLUTE_MS / 1000,
          secure: request.protocol === "https",
        })
        .redirect(next, 303);
    } catch (error) {
      if (error instanceof WrongCredentialsError) return signInPage(render, reply.code(401), { email: correo, error: error.message, next });
      if (error instanceof SignInLockedError) return signInPage(render, reply.code(429), { email: correo, error: error.message, next });
      throw error;
    }
  });

  admin.post("/salir", HIDDEN, async (request, reply) => {
    await deps.services.accounts.signOut(personOf(request).token);
    return clearSession(reply).redirect(SIGN_IN_PATH, 303);
  });
}

function signInPage(render: PageRenderer, reply: FastifyReply, form: { email: string; error: string | null; next: string }): FastifyReply {
  return render(reply, "sign-in", { title: "Entrar", person: null, ...form });
}
