/**
 * What every agent (offline or LLM-backed) does for one lead message: read it,
 * act through the turn's actions, and answer. The actions are the only way an
 * agent changes anything, and the conversation service behind them applies
 * the domain rules: an agent can ask, never decide.
 */
import type { Lead } from "../../db/schema";
import type { ApprovalDecision } from "../domain/qualification";
import type { AgentType } from "../domain/vocabulary";
import type { LeadFacts } from "./lead-facts";

/** A slot already offered to the lead (shown as a choice), which the agent may book. */
export interface OfferedSlot {
  /** ISO 8601 start: the value `agendar_cita` takes. */
  inicio: string;
  /** How the lead saw it, e.g. "jueves 22 de enero, 10:00". */
  legible: string;
}

/** Where the turn stands after the facts saved so far. */
export interface TurnProgress {
  /** The lead as it is now. */
  lead: Lead;
  /** What this turn added or changed so far. */
  learned: Record<string, unknown>;
  /** The approval decision, once the financiero has what it needs. */
  approval: ApprovalDecision | null;
}

/**
 * The agent's hands during one turn. Facts are saved at once (the agent may
 * need the outcome to answer); the rest is what the lead asked for, carried
 * out by the chat after the reply. A refusal is a DomainError whose Spanish
 * message the agent can pass on.
 */
export interface TurnActions {
  /** Saves what the lead stated through the merge, pipeline and approval rules. */
  saveFacts(facts: LeadFacts): Promise<TurnProgress>;
  progress(): TurnProgress;
  /** Free slots shown after the reply; refused while the lead may not book. */
  offerSlots(): void;
  /** Books an offered slot after the reply; refused for a start that was not offered. */
  book(start: Date): void;
  /** A person takes the chat over; the reply becomes the handoff notice. */
  handOff(): void;
  /** No more messages or calls; the reply becomes the opt-out notice. */
  optOut(): void;
}

export interface TurnInput {
  /** The lead before this message was read. */
  lead: Lead;
  /** The lead's message, as written. */
  text: string;
  /** Slots offered and not yet taken. */
  offered: OfferedSlot[];
}

export interface TurnAnswer {
  reply: string;
  /** The stage agent that answered. */
  agent: AgentType;
  /** The model could not be asked (error, timeout): only the offline agent read the message. */
  degraded: boolean;
}

export interface LeadAgent {
  readonly kind: "offline" | "openai";
  /**
   * The facts stated in `text`, alone (re-reading a message the model missed).
   * Never throws for a bad model answer: returns what it could check;
   * `degraded` when the model could not be asked and only the offline extractor read it.
   */
  extract(text: string, lead: Lead): Promise<{ facts: LeadFacts; degraded: boolean }>;
  /** One turn: reads the message, acts through `actions`, answers. */
  converse(input: TurnInput, actions: TurnActions): Promise<TurnAnswer>;
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

/** An approved lead with no meeting yet may be offered slots. */
export function readyToBook(lead: Pick<Lead, "pipeline_stage" | "financially_approved">): boolean {
  return lead.pipeline_stage === "calificacion_financiera" && lead.financially_approved;
}
