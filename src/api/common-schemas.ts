/** Shapes shared by several resources: ids, pages, errors. */
import { z } from "zod";
import { MAX_ROW_ID } from "../domain/row-id";

/** An id in a JSON body or query. */
export const rowId = z.number().int().positive().max(MAX_ROW_ID, { message: "no existe un registro con ese id" });
/** An id in a path or query string. */
export const rowIdParam = z.coerce.number().int().positive().max(MAX_ROW_ID, { message: "no existe un registro con ese id" });

export const idParams = z.object({ id: rowIdParam });

export const pageQuery = {
  skip: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const problemSchema = z.object({ path: z.string(), message: z.string() });

export const errorResponse = z
  .object({
    error: z.string().describe("Código estable: validation_error, unauthorized, not_found, conflict, service_unavailable…"),
    message: z.string(),
    details: z.array(problemSchema),
  })
  .meta({ id: "Error" });

/** The error answers every authenticated route can give. */
export const commonErrors = { 400: errorResponse, 401: errorResponse, 404: errorResponse };

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), skip: z.number().int(), limit: z.number().int() });
}

/** E.164 after removing the spaces, dashes and brackets people type: "+52 55 1234-5678" → "+525512345678". */
export const phoneSchema = z
  .string()
  .transform((value) => value.replace(/[\s().-]/g, ""))
  .pipe(z.string().regex(/^\+[1-9]\d{7,14}$/, { message: "El teléfono debe estar en formato E.164, p. ej. +5215512345678" }));
