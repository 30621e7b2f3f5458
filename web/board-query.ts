/**
 * The board's query strings and forms, parsed with zod at the edge: the filters
 * (`q`, `fuente`, `puntaje_min`, `puntaje_max`, `inactivo_dias`), a column's cursor
 * (`despues=<ms>.<id>`) and a move (`etapa`, `force`). A bad value gets a Spanish reason.
 */
import { z } from "zod";
import { PIPELINE_STAGES, type PipelineStage } from "../src/domain/vocabulary";
import { ValidationError } from "../src/errors";
import type { BoardCursor, BoardQuery } from "../src/services/board-service";

/** An empty form field ("puntaje_min=") means the filter is not set. */
const blank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

const optionalText = (max: number, message: string) => z.preprocess(blank, z.string().trim().max(max, message).optional());

const optionalWhole = (min: number, max: number, message: string) =>
  z.preprocess(blank, z.coerce.number({ message }).int(message).min(min, message).max(max, message).optional());

const filterFields = {
  q: optionalText(200, "La búsqueda admite hasta 200 caracteres."),
  fuente: optionalText(200, "La fuente admite hasta 200 caracteres."),
  puntaje_min: optionalWhole(0, 100, "El puntaje mínimo es un número entero de 0 a 100."),
  puntaje_max: optionalWhole(0, 100, "El puntaje máximo es un número entero de 0 a 100."),
  inactivo_dias: optionalWhole(1, 3650, "Los días sin actividad son un número entero de 1 a 3650."),
};

const filtersSchema = z.object(filterFields);

const cursorSchema = z
  .string()
  .regex(/^\d{1,15}\.\d{1,15}$/, "La posición de la columna no es válida; recarga la página.")
  .transform((value): BoardCursor => {
    const [ms, id] = value.split(".");
    return { stageChangedAt: new Date(Number(ms)), id: Number(id) };
  });

const stageSchema = z.enum(PIPELINE_STAGES, { message: "Esa etapa no existe." });

/** The filters as the form and the URL give them, kept to write them back into links and the form. */
export type BoardFilters = z.infer<typeof filtersSchema>;

function parsed<T>(result: z.ZodSafeParseResult<T>): T {
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  throw new ValidationError(problems, problems[0]?.message ?? "La solicitud tiene errores");
}

export function parseBoardFilters(input: unknown): BoardFilters {
  return parsed(filtersSchema.safeParse(input ?? {}));
}

export function parseColumnRequest(params: unknown, query: unknown): { stage: PipelineStage; filters: BoardFilters; after: BoardCursor | null } {
  const { etapa } = parsed(z.object({ etapa: stageSchema }).safeParse(params));
  const { despues, ...filters } = parsed(filtersSchema.extend({ despues: cursorSchema.optional() }).safeParse(query ?? {}));
  return { stage: etapa, filters, after: despues ?? null };
}

const moveSchema = filtersSchema.extend({
  etapa: stageSchema,
  force: z.preprocess(blank, z.enum(["1", "true"]).optional()),
});

export function parseMoveRequest(params: unknown, body: unknown): { leadId: number; stage: PipelineStage; force: boolean; filters: BoardFilters } {
  const { id } = parsed(z.object({ id: z.coerce.number().int().positive("Ese lead no existe.") }).safeParse(params));
  const { etapa, force, ...filters } = parsed(moveSchema.safeParse(body ?? {}));
  return { leadId: id, stage: etapa, force: force !== undefined, filters };
}

/** What the board service reads. */
export function boardQueryOf(filters: BoardFilters): BoardQuery {
  return { q: filters.q, source: filters.fuente, scoreMin: filters.puntaje_min, scoreMax: filters.puntaje_max, inactiveDays: filters.inactivo_dias };
}

/** The filters as a query string ("q=ana&fuente=facebook"), only those set, for links and sentinels. */
export function filtersQueryString(filters: BoardFilters): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value !== undefined && value !== "") params.set(key, String(value));
  return params.toString();
}

export function cursorText(cursor: BoardCursor): string {
  return `${cursor.stageChangedAt.getTime()}.${cursor.id}`;
}
