/**
 * The /admin dashboard (issue 14), in Spanish, served by the same Fastify app on processes with the
 * api role. A surface like the bot: it calls services and never runs SQL.
 *
 * Everything is registered inside this one plugin, so the form parser, the cookie plugin, the session
 * guard and the security headers apply to /admin only: /api/v1 stays JSON and bearer-only.
 * Each page group registers its routes from its own file in web/routes/.
 */
import fastifyCookie from "@fastify/cookie";
import type { FastifyInstance } from "fastify";
import { registerAssets } from "./assets";
import { addCsrfCheck } from "./csrf";
import { HIDDEN, type DashboardDeps, type PageKit } from "./deps";
import { registerPageErrors } from "./page-errors";
import { boardRoutes } from "./routes/board";
import { campaignStepRoutes } from "./routes/campaign-steps";
import { campaignRoutes } from "./routes/campaigns";
import { conversationsRoutes } from "./routes/conversations";
import { liveRoutes } from "./routes/live";
import { leadRoutes } from "./routes/lead";
import { metricsRoutes } from "./routes/metrics";
import { usersRoutes } from "./routes/users";
import { signInRoutes } from "./routes/sign-in";
import { templateRoutes } from "./routes/templates";
import { addSessionGuard } from "./session-guard";
import { createPageRenderer } from "./views";

export type { DashboardDeps } from "./deps";
export { SESSION_COOKIE } from "./session-guard";

/** The page groups, each in web/routes/. */
const PAGES: ReadonlyArray<(admin: FastifyInstance, kit: PageKit) => void> = [
  signInRoutes,
  boardRoutes,
  leadRoutes,
  conversationsRoutes,
  campaignRoutes,
  campaignStepRoutes,
  templateRoutes,
  metricsRoutes,
  usersRoutes,
  liveRoutes,
];

/** Register with `{ prefix: "/admin" }`. */
export function createDashboard(deps: DashboardDeps) {
  return async function dashboard(admin: FastifyInstance): Promise<void> {
    await admin.register(fastifyCookie);
    const asset = await registerAssets(admin);
    const render = createPageRenderer(asset);
    // Forms post as application/x-www-form-urlencoded; the API's JSON-only parsing is left as it is.
    admin.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 65_536 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    addSessionGuard(admin, deps.services.accounts);
    addCsrfCheck(admin);
    addSecurityHeaders(admin);
    registerPageErrors(admin, render);

    admin.get("/", HIDDEN, async (_request, reply) => reply.redirect("/admin/tablero", 303));
    const kit: PageKit = { deps, render };
    for (const register of PAGES) register(admin, kit);
  };
}

/** Pages hold lead data: never cached, never framed, and only this site's own scripts and styles. */
function addSecurityHeaders(admin: FastifyInstance): void {
  const headers = {
    "content-security-policy":
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  };
  // `void`: a reply is thenable (it settles once sent); setting headers returns it, nothing to wait for.
  admin.addHook("onSend", async (request, reply) => {
    void reply.headers(request.url.startsWith("/admin/assets/") ? headers : { ...headers, "cache-control": "no-store" });
  });
}
