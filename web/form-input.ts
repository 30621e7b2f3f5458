/**
 * Reading what a person sent from a page: form fields and query strings are text; they are turned
 * into the values the API's own zod schemas check, so a page accepts exactly what /api/v1 accepts,
 * and a refusal names the field by its label.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { isHtmxRequest } from "./views";

/** The form's fields as text (the dashboard's parser gives a plain object of strings). */
export function formOf(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  if (typeof body !== "object" || body === null) return {};
  return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

/** Empty text is "not given". */
export function textOrNull(value: string | undefined): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}

/** A number typed in a field; empty is "not given", anything else goes to the schema as typed (NaN is refused there). */
export function numberOrUndefined(value: string | undefined): number | undefined {
  const text = value?.trim() ?? "";
  return text === "" ? undefined : Number(text);
}

/**
 * After a change: htmx follows HX-Redirect (a full page load), a plain form follows the 303.
 * Either way a reload does not post again.
 */
export function redirectAfterChange(request: FastifyRequest, reply: FastifyReply, location: string): FastifyReply {
  // htmx sets location.href: a URL with a #fragment on the page already shown would only scroll, not load it again.
  if (isHtmxRequest(request)) return reply.header("hx-redirect", location.split("#", 1)[0]!).code(204).send();
  return reply.redirect(location, 303);
}
