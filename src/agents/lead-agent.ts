/** What every agent (offline or LLM-backed) does for one lead message. */
import type { Lead } from "../../db/schema";
import type { ApprovalDecision } from "../domain/qualification";
import type { AgentType } from "../domain/vocabulary";
import type { LeadFacts } from "./lead-facts";

export interface ReplyInput {
  agent: AgentType;
  /** The lead after this message's facts were saved. */
  lead: Lead;
  /** The facts this message added or changed. */
  learned: Record<string, unknown>;
  /** The approval decision, once the financiero has what it needs. */
  approval: ApprovalDecision | null;
  /** The lead's message, as written. */
  text: string;
}

export interface LeadAgent {
  readonly kind: "offline" | "openai";
  /**
   * The facts stated in `text`. Never throws for a bad model answer: returns
   * what it could check; `degraded` when the model could not be asked (error,
   * timeout) and only the offline extractor read the message.
   */
  extract(text: string, lead: Lead): Promise<{ facts: LeadFacts; degraded: boolean }>;
  reply(input: ReplyInput): Promise<string>;
}

/** The agent that talks to a lead in each stage. */
export function agentForStage(lead: Pick<Lead, "pipeline_stage" | "financially_approved">): AgentType {
  switch (lead.pipeline_stage) {
    case "entrada":
    case "perfilamiento":
      return "perfilador";
    case "calificacion_financiera":
      return lead.financially_approved ? "agenda" : "financiero";
    case "agendado":
      return "agenda";
    default:
      return "seguimiento";
  }
}
