/**
 * The voice agent's tools. Each tool is one zod schema that both produces the
 * JSON Schema `parameters` the model sees and validates the arguments the
 * model sends: a call with invalid arguments is answered with the problem
 * (the model can correct itself) and nothing is done.
 */
import { z } from "zod";
import { leadFactsSchema } from "../src/agents/lead-facts";
import type { RealtimeTool } from "./openai-realtime-protocol";

const emptyArguments = z.object({});

const TOOL_SCHEMAS = {
  guardar_datos: {
    description: "Guarda lo que el cliente dijo sobre la propiedad que busca y cómo la pagaría.",
    args: leadFactsSchema,
  },
  ofrecer_horarios: {
    description: "Consulta tres horarios libres para una cita con un asesor. Devuelve cada uno con su hora legible y su valor 'inicio'.",
    args: emptyArguments,
  },
  agendar_cita: {
    description: "Agenda la cita en el horario que el cliente eligió (el valor 'inicio' de ofrecer_horarios).",
    args: z.object({ inicio: z.iso.datetime({ offset: true }).describe("Fecha y hora ISO 8601 del horario elegido") }),
  },
  colgar: { description: "Termina la llamada después de despedirte.", args: emptyArguments },
} as const;

type ToolName = keyof typeof TOOL_SCHEMAS;

export type VoiceToolCall = { [K in ToolName]: { name: K; args: z.infer<(typeof TOOL_SCHEMAS)[K]["args"]> } }[ToolName];

function parametersOf(schema: z.ZodType): Record<string, unknown> {
  // The model needs the schema itself, not the meta-schema pointer.
  const { $schema: _meta, ...parameters } = z.toJSONSchema(schema) as Record<string, unknown>;
  return parameters;
}

export const VOICE_TOOLS: RealtimeTool[] = Object.entries(TOOL_SCHEMAS).map(([name, tool]) => ({
  type: "function",
  name,
  description: tool.description,
  parameters: parametersOf(tool.args),
}));

export type ParsedToolCall = { ok: true; call: VoiceToolCall } | { ok: false; problem: string };

/** Validates one function call from the model by its tool's schema. */
export function parseVoiceToolCall(name: string, rawArguments: string): ParsedToolCall {
  if (!Object.hasOwn(TOOL_SCHEMAS, name)) return { ok: false, problem: `función desconocida: ${name.slice(0, 64)}` };
  let value: unknown;
  try {
    value = rawArguments.trim() === "" ? {} : JSON.parse(rawArguments);
  } catch {
    return { ok: false, problem: "los argumentos no son JSON válido" };
  }
  const toolName = name as ToolName;
  const parsed = TOOL_SCHEMAS[toolName].args.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".") || "argumentos"}: ${issue.message}`);
    return { ok: false, problem: `argumentos inválidos (${problems.join("; ")})` };
  }
  return { ok: true, call: { name: toolName, args: parsed.data } as VoiceToolCall };
}
