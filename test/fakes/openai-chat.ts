/**
 * A local fake of the OpenAI Chat Completions API over real HTTP
 * (https://platform.openai.com/docs/api-reference/chat/create).
 * POST {base}/chat/completions with Bearer auth; answers a `chat.completion`
 * object: id, object, created, model, choices[{index, message{role, content,
 * tool_calls[{id, type: "function", function{name, arguments}}]}, finish_reason}],
 * usage. By default a request with a forced `tool_choice` gets a tool call
 * (finish_reason "tool_calls"); otherwise a text answer ("stop").
 * An agent loop is checked as the API checks it: an assistant message with
 * `tool_calls` must be followed by one `role: "tool"` message per
 * `tool_call_id`, and a tool message must answer such a call (else 400).
 * What it answers is scripted per test; errors follow the API's error shape.
 */
import { createServer, type ServerResponse } from "node:http";
import { asyncHandler, readBody, sendJson } from "./http";
import type { AddressInfo } from "node:net";

export interface ChatMessage {
  role: string;
  content: unknown;
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: { type: string; function: { name: string; description?: string; parameters: unknown } }[];
  tool_choice?: unknown;
}

/** One function call the fake model makes; `arguments` as an object, or a raw string (which may be broken JSON). */
export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
}

export type FakeAnswer =
  /** One call to `name`, or to the forced/first tool when no name is given. */
  | { kind: "tool"; name?: string; arguments: Record<string, unknown> | string }
  /** Several calls in one assistant message (parallel tool calls). */
  | { kind: "tool_calls"; calls: FakeToolCall[] }
  | { kind: "text"; content: string }
  | { kind: "error"; status: number; message: string; type?: string }
  | { kind: "hang" };

export interface FakeOpenAI {
  baseUrl: string;
  apiKey: string;
  requests: ChatRequest[];
  /** Decides each answer; the default returns `{}` facts and a fixed Spanish reply. */
  answer: (request: ChatRequest) => FakeAnswer;
  close(): Promise<void>;
}

export async function startFakeOpenAI(apiKey = "sk-test-fake"): Promise<FakeOpenAI> {
  const hanging: ServerResponse[] = [];
  let counter = 0;
  const fake: FakeOpenAI = {
    baseUrl: "",
    apiKey,
    requests: [],
    answer: (request) => (forcedTool(request) ? { kind: "tool", arguments: {} } : { kind: "text", content: "¿Me cuentas un poco más?" }),
    close: async () => undefined,
  };

  const server = createServer(asyncHandler(async (req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) return sendJson(res, 404, apiError("Not found", "invalid_request_error"));
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return sendJson(res, 401, apiError("Incorrect API key provided", "invalid_request_error", "invalid_api_key"));
    }
    let request: ChatRequest;
    try {
      request = JSON.parse(await readBody(req)) as ChatRequest;
    } catch {
      return sendJson(res, 400, apiError("We could not parse the JSON body of your request.", "invalid_request_error"));
    }
    fake.requests.push(request);
    const problem = toolMessagesProblem(request.messages);
    if (problem) return sendJson(res, 400, apiError(problem, "invalid_request_error"));
    const answer = fake.answer(request);
    const id = `chatcmpl-fake${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 };
    switch (answer.kind) {
      case "hang":
        hanging.push(res);
        return;
      case "error":
        return sendJson(res, answer.status, apiError(answer.message, answer.type ?? "server_error"));
      case "tool":
      case "tool_calls": {
        const calls = answer.kind === "tool_calls" ? answer.calls : [{ name: answer.name ?? forcedTool(request) ?? request.tools?.[0]?.function.name ?? "tool", arguments: answer.arguments }];
        const toolCalls = calls.map((call, index) => ({
          id: `call_${counter}_${index}`,
          type: "function",
          function: { name: call.name, arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments) },
        }));
        return sendJson(res, 200, {
          id,
          object: "chat.completion",
          created,
          model: request.model,
          choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: toolCalls, refusal: null }, logprobs: null, finish_reason: "tool_calls" }],
          usage,
        });
      }
      case "text":
        return sendJson(res, 200, {
          id,
          object: "chat.completion",
          created,
          model: request.model,
          choices: [{ index: 0, message: { role: "assistant", content: answer.content, refusal: null }, logprobs: null, finish_reason: "stop" }],
          usage,
        });
    }
  }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}

/** The function a request forces with `tool_choice: {type: "function", function: {name}}`, if any. */
export function forcedTool(request: ChatRequest): string | null {
  const choice = request.tool_choice as { type?: string; function?: { name?: string } } | undefined;
  return choice?.type === "function" && choice.function?.name ? choice.function.name : null;
}

/** The tool results in a request's last round (what our side answered to the model's calls), parsed when JSON. */
export function toolResults(request: ChatRequest): { tool_call_id: string; content: unknown }[] {
  const results: { tool_call_id: string; content: unknown }[] = [];
  for (let i = request.messages.length - 1; i >= 0 && request.messages[i]!.role === "tool"; i--) {
    const message = request.messages[i]!;
    let content: unknown = message.content;
    try {
      content = JSON.parse(String(message.content));
    } catch {
      // Not JSON: kept as text.
    }
    results.unshift({ tool_call_id: message.tool_call_id ?? "", content });
  }
  return results;
}

/** The API's own checks on a conversation with tool calls (its 400 messages, as the real service words them). */
function toolMessagesProblem(messages: ChatMessage[]): string | null {
  let awaiting = new Set<string>();
  for (const message of messages) {
    if (message.role === "tool") {
      if (!message.tool_call_id || !awaiting.delete(message.tool_call_id)) {
        return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.";
      }
      continue;
    }
    if (awaiting.size > 0) return unanswered(awaiting);
    awaiting = new Set(message.role === "assistant" ? (message.tool_calls ?? []).map((call) => call.id) : []);
  }
  return awaiting.size > 0 ? unanswered(awaiting) : null;
}

function unanswered(ids: Set<string>): string {
  return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...ids].join(", ")}`;
}

function apiError(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}


