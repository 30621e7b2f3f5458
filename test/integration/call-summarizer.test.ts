/** The after-call summary with a model (fake OpenAI server) and its offline fallback. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlmCallSummarizer } from "../../src/agents/call-summarizer";
import { createLogger } from "../../src/logger";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai-chat";

let openai: FakeOpenAI;
beforeAll(async () => {
  openai = await startFakeOpenAI();
});
afterAll(async () => openai.close());

const transcript = [
  { speaker: "agent" as const, text: "Hola, ¿es buen momento?" },
  { speaker: "lead" as const, text: "Sí. Busco casa en Metepec, gano 30 mil al mes y tengo Infonavit" },
];

describe("call summary", () => {
  const summarizer = () =>
    createLlmCallSummarizer({ apiKey: openai.apiKey, baseUrl: openai.baseUrl, model: "gpt-test", timeoutMs: 1000, log: createLogger("silent") });

  it("asks the model for a Spanish summary and structured facts, completed by the offline extractor", async () => {
    openai.answer = (request) =>
      request.tools?.length
        ? { kind: "tool", arguments: { property_type: "casa", monthly_income: 30000 } }
        : { kind: "text", content: "El cliente busca casa en Metepec con Infonavit; gana 30 mil al mes." };
    const result = await summarizer().summarize(transcript, "el cliente colgó");
    expect(result.summary).toBe("El cliente busca casa en Metepec con Infonavit; gana 30 mil al mes.");
    expect(result.facts).toMatchObject({ property_type: "casa", monthly_income: 30_000, location: "Metepec", credit_type: "infonavit" });
    expect(openai.requests.some((r) => String(r.messages[1]?.content).includes("Cliente: Sí. Busco casa"))).toBe(true);
  });

  it("falls back to the offline summary when the model fails", async () => {
    openai.answer = () => ({ kind: "error", status: 500, message: "boom" });
    const result = await summarizer().summarize(transcript, "el cliente colgó");
    expect(result.summary).toMatch(/^Llamada de 2 intervenciones \(el cliente colgó\)/);
    expect(result.facts).toMatchObject({ location: "Metepec", monthly_income: 30_000 });
  });
});
