/**
 * One agent turn's actions (the agent's hands, see src/agents/lead-agent.ts)
 * over the lead rules, and what the agent asked for. Facts apply at once,
 * through the conversation service's use case; slots, a booking, a handoff or
 * an opt-out are checked here against the lead as it now is, and carried out
 * by the chat once the reply is out.
 */
import { oneAtATime } from "../one-at-a-time";
import type { Lead } from "../../db/schema";
import { readyToBook, type OfferedSlot, type TurnActions, type TurnProgress } from "../agents/lead-agent";
import type { LeadFacts } from "../agents/lead-facts";
import type { ApprovalDecision } from "../domain/qualification";
import { slotFromChoiceId } from "../domain/slot-choices";
import { ConflictError } from "../errors";

/** What saving one set of facts did: the lead after, the fields changed, the stages entered, the approval decision. */
export interface FactsApplied {
  lead: Lead;
  learned: Record<string, unknown>;
  moved: string[];
  approval: ApprovalDecision | null;
}

/** Slots shown to the lead and not taken, as the agent may book them. */
export function offeredSlots(lead: Lead): OfferedSlot[] {
  return (lead.pending_choices ?? []).flatMap((choice) => {
    const start = slotFromChoiceId(choice.id);
    return start ? [{ inicio: start.toISOString(), legible: choice.label }] : [];
  });
}

export function startLeadTurn(lead: Lead, applyFacts: (facts: LeadFacts) => Promise<FactsApplied>) {
  let progress: TurnProgress = { lead, learned: {}, approval: null };
  const moved: string[] = [];
  const wants = { slots: false, bookAt: null as Date | null, handoff: false, optOut: false };
  const offered = offeredSlots(lead);
  // Saves run one after another, in the order asked (the agent may ask for two at once): each starts from what the one before left.
  const inOrder = oneAtATime();
  const actions: TurnActions = {
    saveFacts(facts) {
      return inOrder(async () => {
        const applied = await applyFacts(facts);
        moved.push(...applied.moved);
        progress = { lead: applied.lead, learned: { ...progress.learned, ...applied.learned }, approval: applied.approval ?? progress.approval };
        return progress;
      });
    },
    progress: () => progress,
    offerSlots() {
      if (!readyToBook(progress.lead)) throw new ConflictError(whyNoSlots(progress.lead));
      wants.slots = true;
    },
    book(start) {
      if (!offered.some((slot) => new Date(slot.inicio).getTime() === start.getTime())) {
        throw new ConflictError("Ese horario no está entre los ofrecidos; usa el 'inicio' de uno de ellos u ofrece horarios de nuevo");
      }
      wants.bookAt = start;
    },
    handOff() {
      wants.handoff = true;
    },
    optOut() {
      wants.optOut = true;
    },
  };
  return { actions, offered, outcome: () => ({ ...progress, moved, ...wants }) };
}

/** Why a lead who may not book yet gets no slots, in words the model can pass on. */
function whyNoSlots(lead: Lead): string {
  switch (lead.pipeline_stage) {
    case "entrada":
    case "perfilamiento":
      return "Todavía no se pueden ofrecer horarios: primero hay que completar el perfil y la calificación financiera";
    case "calificacion_financiera":
      return "Todavía no se pueden ofrecer horarios: falta completar la calificación financiera";
    case "agendado":
      return "El cliente ya tiene una cita agendada";
    default:
      return "En esta etapa ya no se agendan citas por chat; un asesor da el seguimiento";
  }
}
