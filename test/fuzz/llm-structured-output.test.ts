/**
 * Fuzz: the chat model's structured output (the lead facts it extracts) is
 * checked by the lead-facts schema, whatever the model sends back. Generated
 * malformed tool-call arguments never throw out of the agent and never put a
 * value the schema refuses into the facts the chat merges into a lead.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Lead } from "../../db/schema";
import { leadFactsSchema } from "../../src/agents/lead-facts";
import { createLlmAgent } from "../../src/agents/llm-agent";
import { createLogger } from "../../src/logger";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai-chat";
import { malformedArbitrary } from "./schema-arbitraries";

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
let openai: FakeOpenAI;

beforeAll(async () => {
  openai = await startFakeOpenAI();
});
afterAll(() => openai.close());

const lead = { id: 1, name: "Ana", pipeline_stage: "perfilamiento" } as unknown as Lead;

describe("the LLM's structured output", () => {
  it("malformed facts from the model are refused by the schema; the agent answers with facts that parse", async () => {
    const agent = createLlmAgent({ apiKey: openai.apiKey, baseUrl: openai.baseUrl, model: "gpt-fake", timeoutMs: 5_000, agencyName: "Inmobiliaria", log: createLogger("silent") });
    const labels = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(malformedArbitrary(leadFactsSchema), async ({ label, value }) => {
        labels.set(label, (labels.get(label) ?? 0) + 1);
        openai.answer = () => ({ kind: "tool", arguments: JSON.stringify(value) ?? "null" });
        const { facts } = await agent.extract("Busco casa en Zapopan de 4 millones", lead);
        expect(leadFactsSchema.safeParse(facts).success).toBe(true);
      }),
      { seed: SEED, numRuns: 150 * RUNS, endOnFailure: true },
    );
    console.log(`LLM structured output cases (seed ${SEED}): ${[...labels].map(([label, n]) => `${label} ${n}`).join(", ")}`);
  });
});
