/** The dashboard's Eta templates (web/views/), compiled once, and the helper that answers with one. */
import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import type { FastifyReply } from "fastify";

/** What every page's layout reads: the signed-in person's e-mail and CSRF token, none on the sign-in page. */
export interface PageFrame {
  title: string;
  person: { email: string; csrf: string } | null;
}

export type PageRenderer = (reply: FastifyReply, view: string, data: PageFrame & Record<string, unknown>) => FastifyReply;

/** From web/ and from dist/web/ alike: the build copies the templates next to the compiled code. */
export function createPageRenderer(): PageRenderer {
  // autoEscape is Eta's default: `<%= %>` escapes, and the templates use `<%~ %>` only for the layout's body.
  const eta = new Eta({ views: fileURLToPath(new URL("./views", import.meta.url)), cache: true });
  return (reply, view, data) => reply.type("text/html; charset=utf-8").send(eta.render(view, data));
}
