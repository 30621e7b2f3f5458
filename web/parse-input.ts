/** Query strings and form bodies from a page, checked with zod: a bad one is a 400 with the schema's Spanish messages. */
import type { z } from "zod";
import { ValidationError } from "../src/errors";

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
    parsed.error.issues[0]?.message ?? "La solicitud tiene errores",
  );
}
