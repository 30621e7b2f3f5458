/**
 * The voice agent's tools: the lead tools the chat agent has too
 * (src/agents/lead-tools.ts: same names, descriptions and schemas), plus
 * `colgar`, which only a call has. On a call, asking for a person cannot put
 * one on the line: the lead is handed to an asesor (the bot goes quiet in
 * chat, admins are told) and the model says an asesor will get in touch. Each schema produces
 * the JSON Schema `parameters` the model sees and validates the arguments the
 * model sends: a call with invalid arguments is answered with the problem and
 * nothing is done.
 */
import { LEAD_TOOLS, noArguments, readToolCall, toolParameters, type CheckedToolCall, type ToolCallOf } from "../src/agents/lead-tools";
import type { RealtimeTool } from "./openai-realtime-protocol";

const TOOL_SCHEMAS = {
  guardar_datos: LEAD_TOOLS.guardar_datos,
  ofrecer_horarios: LEAD_TOOLS.ofrecer_horarios,
  agendar_cita: LEAD_TOOLS.agendar_cita,
  pedir_asesor: LEAD_TOOLS.pedir_asesor,
  dar_de_baja: LEAD_TOOLS.dar_de_baja,
  colgar: { description: "Termina la llamada después de despedirte.", args: noArguments },
} as const;

export type VoiceToolCall = ToolCallOf<typeof TOOL_SCHEMAS>;

export const VOICE_TOOLS: RealtimeTool[] = Object.entries(TOOL_SCHEMAS).map(([name, tool]) => ({
  type: "function",
  name,
  description: tool.description,
  parameters: toolParameters(tool.args),
}));

export type ParsedToolCall = CheckedToolCall<typeof TOOL_SCHEMAS>;

/** Validates one function call from the model by its tool's schema. */
export function parseVoiceToolCall(name: string, rawArguments: string): ParsedToolCall {
  return readToolCall(TOOL_SCHEMAS, name, rawArguments);
}
