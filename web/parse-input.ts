/**
 * Everything a page receives from outside (path, query string, form) is parsed here with zod: a bad
 * value becomes a ValidationError, shown as an alert in Spanish like any refusal (web/page-errors.ts).
 * Each schema carries its own Spanish messages; this only turns zod's issues into the product's problems.
 */
import type { z } from "zod";
import { ValidationError } from "../src/errors";

/** `message` heads the alert; without one, a single problem is the heading itself. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, message?: string): z.infer<Schema> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  throw new ValidationError(
    issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
    message ?? (issues.length === 1 ? issues[0]!.message : "Revisa los datos marcados."),
  );
}
