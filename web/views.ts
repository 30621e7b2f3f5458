/** The dashboard's Eta templates (web/views/), compiled once, and the helper that answers with one. */
import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AssetUrl } from "./assets";

/** The dashboard's pages, as the navigation names them. */
export type NavItem = "tablero" | "conversaciones" | "campanas" | "plantillas" | "metricas" | "usuarios";

/** What every page's layout reads: the signed-in person (none on the sign-in page) and which page this is. */
export interface PageFrame {
  title: string;
  person: { email: string; name: string; role: string; csrf: string } | null;
  nav?: NavItem;
  /** This page's own files in web/assets/ (e.g. "board.js", "board.css"), loaded after htmx. */
  scripts?: string[];
  styles?: string[];
}

export type PageRenderer = {
  /** A whole page in the layout. */
  (reply: FastifyReply, view: string, data: PageFrame & Record<string, unknown>): FastifyReply;
  /** A piece of a page (an htmx swap): no layout. */
  fragment(reply: FastifyReply, view: string, data: Record<string, unknown>): FastifyReply;
};

/** From web/ and from dist/web/ alike: the build copies the templates next to the compiled code. */
export function createPageRenderer(asset: AssetUrl): PageRenderer {
  // autoEscape is Eta's default: `<%= %>` escapes, and the templates use `<%~ %>` only for markup we built.
  const eta = new Eta({ views: fileURLToPath(new URL("./views", import.meta.url)), cache: true });
  const html = (reply: FastifyReply, view: string, data: Record<string, unknown>) =>
    reply.type("text/html; charset=utf-8").send(eta.render(view, { ...data, asset }));
  const render = ((reply, view, data) => html(reply, view, data)) as PageRenderer;
  render.fragment = html;
  return render;
}

/** A request htmx made (it answers with a piece of a page, not a whole one). */
export function isHtmxRequest(request: FastifyRequest): boolean {
  return request.headers["hx-request"] === "true";
}
