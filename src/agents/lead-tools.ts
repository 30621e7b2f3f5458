/**
 * The tools every agent that talks to a lead shares, in the chat and on the
 * phone: a name, a Spanish description and one zod schema each. The schema
 * gives the model its JSON Schema and checks what the model sends back; a call
 * with invalid arguments is answered with the problem (the model can correct
 * itself) and nothing is done. A tool only carries what the model wants: what
 * it may change is decided by the services and domain rules that run it.
 */
import { z } from "zod";
import { leadFactsSchema } from "./lead-facts";

export interface ToolDefinition {
  description: string;
  args: z.ZodType;
}

export type ToolCatalog = Record<string, ToolDefinition>;

export const noArguments = z.object({});

export const LEAD_TOOLS = {
  guardar_datos: {
    description: "Guarda lo que el cliente dijo sobre la propiedad que busca y cómo la pagaría.",
    args: leadFactsSchema,
  },
  ofrecer_horarios: {
    description: "Ofrece al cliente tres horarios libres para una cita con un asesor, cada uno con su hora legible y su valor 'inicio'.",
    args: noArguments,
  },
  agendar_cita: {
    description: "Agenda la cita en el horario que el cliente eligió, con el valor 'inicio' de ese horario (uno de los ofrecidos).",
    args: z.object({ inicio: z.iso.datetime({ offset: true }).describe("Fecha y hora ISO 8601 del horario elegido") }),
  },
  pedir_asesor: {
    description: "Pasa la conversación a un asesor de la inmobiliaria cuando el cliente pide hablar con una persona.",
    args: noArguments,
  },
  dar_de_baja: {
    description: "Da de baja al cliente cuando pide que ya no le escribamos ni llamemos.",
    args: noArguments,
  },
} as const satisfies ToolCatalog;

export type LeadToolName = keyof typeof LEAD_TOOLS;

/** A checked call of one of a catalog's tools: its name and its parsed arguments. */
export type ToolCallOf<C extends ToolCatalog> = { [K in keyof C & string]: { name: K; args: z.infer<C[K]["args"]> } }[keyof C & string];

export type CheckedToolCall<C extends ToolCatalog> = { ok: true; call: ToolCallOf<C> } | { ok: false; problem: string };

/** What a model is told when its arguments are not JSON at all. */
export const UNREADABLE_ARGUMENTS = "los argumentos no son JSON válido";

/** The JSON Schema the model sees for a tool: the schema itself, without the meta-schema pointer. */
export function toolParameters(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _meta, ...parameters } = z.toJSONSchema(schema) as Record<string, unknown>;
  return parameters;
}

/** Checks one call (arguments already decoded) against its tool's schema. */
export function checkToolCall<C extends ToolCatalog>(catalog: C, name: string, value: unknown): CheckedToolCall<C> {
  if (!Object.hasOwn(catalog, name)) return { ok: false, problem: `función desconocida: ${name.slice(0, 64)}` };
  const parsed = catalog[name]!.args.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".") || "argumentos"}: ${issue.message}`);
    return { ok: false, problem: `argumentos inválidos (${problems.join("; ")})` };
  }
  return { ok: true, call: { name, args: parsed.data } as ToolCallOf<C> };
}

/** Checks one call whose arguments arrive as the model wrote them (a JSON string; empty means none). */
export function readToolCall<C extends ToolCatalog>(catalog: C, name: string, rawArguments: string): CheckedToolCall<C> {
  if (!Object.hasOwn(catalog, name)) return checkToolCall(catalog, name, undefined);
  let value: unknown;
  try {
    value = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
  } catch {
    return { ok: false, problem: UNREADABLE_ARGUMENTS };
  }
  return checkToolCall(catalog, name, value);
}
