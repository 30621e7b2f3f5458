/**
 * The facts an agent extracts from what a lead says. One zod schema serves the
 * LLM's structured output (`withStructuredOutput`), the offline extractor's
 * result type, and the check that normalises whatever the model returned.
 * Every field is optional and nullable: null means "not said in this message",
 * never "erase what we knew" (merging keeps known facts).
 */
import { z } from "zod";
import { CREDIT_TYPES, PURPOSES } from "../domain/vocabulary";

export const PROPERTY_TYPES = ["casa", "departamento", "terreno", "local", "oficina", "bodega", "otro"] as const;

export const leadFactsSchema = z.object({
  budget_min: z.number().positive().nullable().optional().describe("Presupuesto mínimo en la moneda indicada"),
  budget_max: z.number().positive().nullable().optional().describe("Presupuesto máximo; si dice una sola cifra, va aquí"),
  currency: z.enum(["MXN", "USD"]).nullable().optional().describe("MXN salvo que diga dólares/USD"),
  location: z.string().min(1).nullable().optional().describe("Zona: colonia, municipio o ciudad, como la dijo (p. ej. 'Roma o Condesa, CDMX')"),
  property_type: z.enum(PROPERTY_TYPES).nullable().optional(),
  bedrooms: z.number().int().min(0).max(20).nullable().optional(),
  purpose: z.enum(PURPOSES).nullable().optional(),
  timeline: z.string().min(1).nullable().optional().describe("Para cuándo lo necesita, como lo dijo (p. ej. '3 meses', 'este año')"),
  monthly_income: z.number().positive().nullable().optional().describe("Ingreso mensual en MXN"),
  credit_type: z.enum(CREDIT_TYPES).nullable().optional(),
  preapproved: z.boolean().nullable().optional().describe("Dice tener precalificación o preaprobación de crédito"),
  down_payment: z.number().positive().nullable().optional().describe("Enganche disponible"),
});

export type LeadFacts = z.infer<typeof leadFactsSchema>;
