/**
 * Turns one WebSocket frame into a typed message by validation, never by
 * cast. A frame is one of three things: a message we handle (parsed by its
 * zod schema), a message of a kind we do not handle (ignored, as protocols add
 * kinds without notice), or something invalid (logged with the issue paths
 * only, never the payload, and skipped).
 *
 * Audio frames come 50 a second per call each way, and zod's object parse is
 * most of what the audio process spends on a frame besides the socket: a kind
 * may have a quick check, which accepts only what its schema would accept, as
 * it is. Whatever the quick check does not accept goes to the schema, which
 * decides and names the problems; so the verdict is always the schema's
 * (test/unit/voice-quick-checks.test.ts holds each quick check to its schema).
 */
import type { z } from "zod";
import { issuePaths } from "../src/logger";

export type ParsedFrame<T> =
  | { kind: "message"; message: T }
  | { kind: "ignored"; name: string }
  | { kind: "invalid"; name: string | null; problems: string[] };

/** True only for a value its kind's schema accepts and outputs unchanged (a loose object, no defaults). */
export type QuickCheck<T> = (value: Record<string, unknown>) => value is Record<string, unknown> & T;

export function parseFrame<S extends z.ZodType>(
  raw: string,
  discriminator: string,
  handled: ReadonlySet<string>,
  schema: S,
  quick: Readonly<Record<string, QuickCheck<z.infer<S>>>> = {},
): ParsedFrame<z.infer<S>> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { kind: "invalid", name: null, problems: ["not JSON"] };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "invalid", name: null, problems: ["not an object"] };
  const name = (value as Record<string, unknown>)[discriminator];
  if (typeof name !== "string") return { kind: "invalid", name: null, problems: [`${discriminator} missing`] };
  if (!handled.has(name)) return { kind: "ignored", name: name.slice(0, 64) };
  const check = Object.hasOwn(quick, name) ? quick[name] : undefined;
  if (check?.(value as Record<string, unknown>)) return { kind: "message", message: value };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // Paths and codes only: a frame may carry audio or personal data.
    return { kind: "invalid", name, problems: issuePaths(parsed.error) };
  }
  return { kind: "message", message: parsed.data };
}

/** Base64 as Twilio and OpenAI send audio: no whitespace, padded. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What zod takes for an object: anything but null and arrays whose typeof is "object". */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string zod's `z.string().regex(pattern).max(maxLength)` accepts. */
export function matches(value: unknown, pattern: RegExp, maxLength = Infinity): value is string {
  return typeof value === "string" && value.length <= maxLength && pattern.test(value);
}

/** A string zod's `z.string().min(min).max(max)` accepts. */
export function hasLength(value: unknown, min: number, max: number): value is string {
  return typeof value === "string" && value.length >= min && value.length <= max;
}
