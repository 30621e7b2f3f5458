/**
 * A local fake of the OpenAI Chat Completions API over real HTTP
 * (https://platform.openai.com/docs/api-reference/chat/create).
 * POST {base}/chat/completions with Bearer auth; answers a `chat.completion`
 * object: id, object, created, model, choices[{index, message{role, content,
 * tool_calls[{id, type: "function", function{name, arguments}}]}, finish_reason}],
 * usage. A request with `tools` and a forced `tool_choice` gets a tool call
 * (finish_reason "tool_calls"); otherwise a text answer ("stop").
 * What it answers is scripted per test; errors follow the API's error shape.
 */
import { createServer, type ServerResponse } from "node:http";
import { readBody, sendJson } from "./http";
import type { AddressInfo } from "node:net";

export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  tools?: { type: string; function: { name: string; parameters: unknown } }[];
  tool_choice?: unknown;
}

export type FakeAnswer =
  | { kind: "tool"; arguments: Record<string, unknown> | string }
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
    answer: (request) => (request.tools?.length ? { kind: "tool", arguments: {} } : { kind: "text", content: "¿Me cuentas un poco más?" }),
    close: async () => undefined,
  };

  const server = createServer(async (req, res) => {
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
      case "tool": {
        const name = request.tools?.[0]?.function.name ?? "tool";
        const args = typeof answer.arguments === "string" ? answer.arguments : JSON.stringify(answer.arguments);
        return sendJson(res, 200, {
          id,
          object: "chat.completion",
          created,
          model: request.model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: null, tool_calls: [{ id: `call_${counter}`, type: "function", function: { name, arguments: args } }], refusal: null },
              logprobs: null,
              finish_reason: "tool_calls",
            },
          ],
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
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}

function apiError(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}


