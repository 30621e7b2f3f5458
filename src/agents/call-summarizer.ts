/**
 * After a call: a Spanish summary and the facts the lead stated. With a model
 * (LangChain ChatOpenAI, the chat's lead-facts schema), else offline: the
 * deterministic extractor and a plain summary. A model failure falls back to
 * the offline result, never to nothing.
 */
import { ChatOpenAI } from "@langchain/openai";
import type { Logger } from "../logger";
import { leadFactsSchema, type LeadFacts } from "./lead-facts";
import { extractLeadFacts } from "./offline-extractor";
import { timed, type LlmObserver } from "../observability/metrics";

export interface Utterance {
  speaker: "agent" | "lead";
  text: string;
}

export interface CallSummary {
  summary: string;
  facts: LeadFacts;
}

export interface CallSummarizer {
  summarize(transcript: Utterance[], endReason: string): Promise<CallSummary>;
}

export function createOfflineCallSummarizer(): CallSummarizer {
  return {
    async summarize(transcript, endReason) {
      const leadSaid = transcript.filter((u) => u.speaker === "lead").map((u) => u.text).join(" ");
      const facts = extractLeadFacts(leadSaid);
      const parts = Object.entries(facts)
        .filter(([, value]) => value !== null && value !== undefined)
        .map(([key, value]) => `${key}: ${String(value)}`);
      const said = leadSaid ? ` El lead dijo: «${leadSaid.slice(0, 300)}${leadSaid.length > 300 ? "…" : ""}».` : " El lead no dijo nada que se entendiera.";
      return { summary: `Llamada de ${transcript.length} intervenciones (${endReason}).${said}${parts.length ? ` Datos: ${parts.join(", ")}.` : ""}`, facts };
    },
  };
}

export interface LlmSummarizerOptions {
  observer?: LlmObserver;
  apiKey: string;
  baseUrl: string;
  model: string;
  timeoutMs: number;
  log: Logger;
}

export function createLlmCallSummarizer(options: LlmSummarizerOptions): CallSummarizer {
  const model = new ChatOpenAI({ model: options.model, apiKey: options.apiKey, configuration: { baseURL: options.baseUrl }, timeout: options.timeoutMs, maxRetries: 1, temperature: 0 });
  const extractor = model.withStructuredOutput(leadFactsSchema, { name: "lead_facts", method: "functionCalling" });
  const offline = createOfflineCallSummarizer();
  return {
    async summarize(transcript, endReason) {
      const fallback = await offline.summarize(transcript, endReason);
      const text = transcript.map((u) => `${u.speaker === "agent" ? "Agente" : "Cliente"}: ${u.text}`).join("\n");
      try {
        const [answer, raw] = await timed(options.observer, "call_summary", () => Promise.all([
          model.invoke([
            { role: "system", content: "Resume en español, en 2 a 4 frases, esta llamada de una inmobiliaria: qué busca el cliente, cómo pagaría y qué sigue." },
            { role: "user", content: `${text}\n\n(Terminó: ${endReason})` },
          ]),
          extractor.invoke([
            { role: "system", content: "Extrae solo lo que el cliente dijo sobre la propiedad que busca y cómo la pagaría. Montos en números." },
            { role: "user", content: transcript.filter((u) => u.speaker === "lead").map((u) => u.text).join("\n") },
          ]),
        ]));
        const checked = leadFactsSchema.safeParse(raw);
        const summary = typeof answer.content === "string" && answer.content.trim() ? answer.content.trim() : fallback.summary;
        // What the model missed but the deterministic extractor found is kept too.
        const facts: LeadFacts = { ...fallback.facts };
        if (checked.success) for (const [key, value] of Object.entries(checked.data)) if (value != null) (facts as Record<string, unknown>)[key] = value;
        return { summary, facts };
      } catch (error) {
        options.log.warn({ err: error }, "LLM call summary failed; using the offline summary");
        return fallback;
      }
    },
  };
}
