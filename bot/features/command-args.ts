/**
 * Arguments of admin commands, from what the admin typed after the command
 * (ctx.match: any text at all). Anything unexpected parses to null and the
 * command answers with its usage, never with an exception.
 */
import { z } from "zod";
import { MAX_ROW_ID } from "../../src/domain/row-id";

// Positive integers that survive Number() exactly; "#12" is accepted, as the listings write ids that way.
const idArgument = z
  .string()
  .trim()
  .regex(/^#?\d{1,15}$/)
  .transform((text) => Number(text.replace("#", "")))
  .pipe(z.number().int().positive().max(MAX_ROW_ID));

export function parseIdArgument(text: string | undefined): number | null {
  const parsed = idArgument.safeParse(text ?? "");
  return parsed.success ? parsed.data : null;
}
