/**
 * The lead tools (lead-tools.ts) as LangChain tools for the chat agent, bound
 * to one turn's actions, and the middleware that guards them. Every call is
 * checked by its tool's zod schema before it runs, by the same function the
 * voice agent uses: a call with invalid or unreadable arguments, or to a tool
 * that does not exist, is answered with the problem and does nothing. What a
 * tool returns is what the model reads (JSON, Spanish).
 */
import { oneAtATime } from "../one-at-a-time";
import { AIMessage, createMiddleware, tool, ToolMessage } from "langchain";
import type { ToolCall } from "@langchain/core/messages/tool";
import { missingFinance, missingProfile } from "../domain/qualification";
import { STAGE_LABELS } from "../domain/vocabulary";
import { DomainError } from "../errors";
import type { Logger } from "../logger";
import { timed, type LlmObserver } from "../observability/metrics";
import type { TurnActions, TurnProgress } from "./lead-agent";
import { checkToolCall, LEAD_TOOLS, UNREADABLE_ARGUMENTS, type LeadToolName } from "./lead-tools";

/** Marks a call whose arguments were not JSON, so the tool guard can answer it (see `withUnreadableCalls`). */
const UNREADABLE_KEY = "__argumentos_ilegibles";

const answer = (output: Record<string, unknown>) => JSON.stringify(output);

/** A LangChain tool's fields from the shared definition: name, description and the zod schema, as they are. */
function define<K extends LeadToolName>(name: K, options: { returnDirect?: boolean } = {}) {
  const definition: (typeof LEAD_TOOLS)[K] = LEAD_TOOLS[name];
  return { name, description: definition.description, schema: definition.args as (typeof LEAD_TOOLS)[K]["args"], ...options };
}

/** The chat agent's tools for one turn. */
export function createChatTools(actions: TurnActions) {
  // The agent runs the calls of one model answer at once; saving facts waits on
  // the database, so each call runs whole before the next, in the order made.
  const inTurn = oneAtATime();
  return [
    tool((facts) => inTurn(async () => answer({ ok: true, ...progressForModel(await actions.saveFacts(facts)) })), define("guardar_datos")),
    tool(
      () =>
        inTurn(() => {
          actions.offerSlots();
          return answer({ ok: true, nota: "El cliente verá tres horarios como botones después de tu mensaje." });
        }),
      define("ofrecer_horarios"),
    ),
    tool(
      ({ inicio }) =>
        inTurn(() => {
          actions.book(new Date(inicio));
          return answer({ ok: true, nota: "El sistema agenda la cita después de tu mensaje y le envía la confirmación con el enlace." });
        }),
      define("agendar_cita"),
    ),
    // Handing off and opting out end the turn: the lead gets the system's own notice, not the model's words.
    tool(
      () =>
        inTurn(() => {
          actions.handOff();
          return answer({ ok: true });
        }),
      define("pedir_asesor", { returnDirect: true }),
    ),
    tool(
      () =>
        inTurn(() => {
          actions.optOut();
          return answer({ ok: true });
        }),
      define("dar_de_baja", { returnDirect: true }),
    ),
  ];
}

/** What the model learns after saving: what was kept, the stage, what is still missing, the approval. */
function progressForModel({ lead, learned }: TurnProgress): Record<string, unknown> {
  const missing =
    lead.pipeline_stage === "entrada" || lead.pipeline_stage === "perfilamiento"
      ? missingProfile(lead)
      : lead.pipeline_stage === "calificacion_financiera" && !lead.financially_approved
        ? missingFinance(lead)
        : [];
  return { guardado: learned, etapa: STAGE_LABELS[lead.pipeline_stage], falta: missing, aprobado_financieramente: lead.financially_approved };
}

/**
 * Checks every tool call before it runs and turns a failure into an answer
 * the model can use; times every model call for the metrics.
 */
export function createToolGuard(options: { log: Logger; observer?: LlmObserver | undefined; leadId: number }) {
  const { log } = options;
  return createMiddleware({
    name: "LeadToolGuard",
    wrapModelCall: async (request, handler) => withUnreadableCalls(await timed(options.observer, "chat_agent", async () => handler(request))),
    wrapToolCall: async (request, handler) => {
      const call = request.toolCall;
      const unreadable = typeof call.args === "object" && call.args !== null && UNREADABLE_KEY in call.args;
      const checked = unreadable ? { ok: false as const, problem: UNREADABLE_ARGUMENTS } : checkToolCall(LEAD_TOOLS, call.name, call.args);
      if (!checked.ok) {
        log.warn({ lead_id: options.leadId, tool: call.name.slice(0, 64), problem: checked.problem }, "chat tool called with invalid arguments");
        return toolMessage(call, { ok: false, error: checked.problem });
      }
      try {
        return await handler(request);
      } catch (error) {
        if (error instanceof DomainError) return toolMessage(call, { ok: false, error: error.message });
        log.error({ err: error, lead_id: options.leadId, tool: call.name }, "chat tool failed");
        return toolMessage(call, { ok: false, error: "no se pudo completar, intenta de nuevo" });
      }
    },
  });
}

function toolMessage(call: ToolCall, output: Record<string, unknown>): ToolMessage {
  return new ToolMessage({ content: answer(output), tool_call_id: call.id ?? "", name: call.name, status: "error" });
}

/**
 * A call whose arguments are not JSON comes back from the OpenAI adapter as an
 * `invalid_tool_call`, which the agent loop would drop without a word to the
 * model. It is made a call again, marked, so the guard answers it like any
 * other invalid call (as the voice agent does) and the model can try again.
 */
function withUnreadableCalls(message: AIMessage): AIMessage {
  const invalid = message.invalid_tool_calls ?? [];
  if (invalid.length === 0) return message;
  const calls: ToolCall[] = [
    ...(message.tool_calls ?? []),
    ...invalid.map((call, index) => ({ type: "tool_call" as const, id: call.id ?? `ilegible_${index}`, name: call.name ?? "", args: { [UNREADABLE_KEY]: call.args ?? "" } })),
  ];
  // In the order the model made them, so the answers line up with what it wrote.
  const written = ((message.additional_kwargs.tool_calls ?? []) as { id?: string }[]).map((call) => call.id);
  calls.sort((a, b) => written.indexOf(a.id) - written.indexOf(b.id));
  return new AIMessage({
    id: message.id,
    content: message.content,
    additional_kwargs: message.additional_kwargs,
    response_metadata: message.response_metadata,
    usage_metadata: message.usage_metadata,
    tool_calls: calls,
    invalid_tool_calls: [],
  });
}
