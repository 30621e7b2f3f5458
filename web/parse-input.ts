/**
 * Everything a page receives from outside (path, query string, form) is parsed here with zod: a bad
 * value becomes a ValidationError, shown as an alert in Spanish like any refusal (web/page-errors.ts).
 * Each schema carries its own Spanish messages; this only turns zod's issues into the product's problems.
 */
import type { z } from "zod";
import { ValidationError } from "../src/errors";

export interface ParseOptions {
  /** Heads the alert; without one, a single problem is the heading itself. */
  message?: string;
  /** A form's labels by field path ("trigger_condition.score_min" or the last key): problems then name the field as the person sees it. */
  labels?: Record<string, string>;
}

export function parseInput<Schema extends z.ZodType>(schema: Schema, value: unknown, { message, labels }: ParseOptions = {}): z.output<Schema> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const label = labels ? (labels[path] ?? labels[String(issue.path.at(-1) ?? "")] ?? path) : "";
    return { path, message: label ? `${label}: ${issue.message}` : issue.message };
  });
  throw new ValidationError(problems, message ?? (problems.length === 1 ? problems[0]!.message : "Revisa los datos marcados."));
}
