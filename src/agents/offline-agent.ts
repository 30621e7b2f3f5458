/**
 * The agent that works with no LLM: the deterministic Spanish extractor plus
 * scripted replies that confirm what was understood and ask for the next
 * missing fact, one question at a time, never again for a known one.
 */
import { formatBudget, formatMoney } from "../domain/templates";
import { missingFinance, missingProfile, type FinanceField, type ProfileField } from "../domain/qualification";
import type { AgentType } from "../domain/vocabulary";
import { agentForStage, readyToBook, type LeadAgent, type TurnProgress } from "./lead-agent";
import { extractLeadFacts } from "./offline-extractor";

const QUESTIONS: Record<ProfileField | FinanceField, string> = {
  property_type: "¿Qué tipo de propiedad buscas: casa, departamento, terreno…?",
  location: "¿En qué zona o colonia te gustaría?",
  budget: "¿Cuál es tu presupuesto aproximado?",
  purpose: "¿Es para comprar o para rentar?",
  bedrooms: "¿Cuántas recámaras necesitas?",
  timeline: "¿Para cuándo te gustaría mudarte?",
  credit_type: "¿Cómo piensas pagar: crédito Infonavit, Fovissste, Cofinavit, bancario o de contado?",
  monthly_income: "Para calcular tu capacidad de compra, ¿cuál es tu ingreso mensual aproximado?",
  down_payment: "¿Con cuánto de enganche cuentas?",
};

export function createOfflineAgent(): LeadAgent {
  return {
    kind: "offline",
    async extract(text) {
      return { facts: extractLeadFacts(text), degraded: false };
    },
    /** Saves what the extractor read; an approved lead with no meeting always gets slots (the script's only action). */
    async converse(input, actions) {
      const progress = await actions.saveFacts(extractLeadFacts(input.text));
      if (readyToBook(progress.lead)) actions.offerSlots();
      const agent = agentForStage(progress.lead);
      return { reply: offlineReply(agent, progress), agent, degraded: false };
    },
  };
}

/** What was understood, then the next question: the scripted answer for a turn. */
export function offlineReply(agent: AgentType, progress: TurnProgress): string {
  return [acknowledge(progress), nextTurn(agent, progress)].filter(Boolean).join(" ");
}

/** "Perfecto, anoto: departamento, en Roma o Condesa, hasta $3,500,000 MXN." */
function acknowledge({ learned, lead }: TurnProgress): string {
  const parts: string[] = [];
  if (learned.property_type) parts.push(String(learned.property_type));
  if (learned.location) parts.push(`en ${String(learned.location)}`);
  if ("budget_min" in learned || "budget_max" in learned) {
    const budget = formatBudget(lead.budget_min, lead.budget_max, lead.currency);
    if (budget) parts.push(budget);
  }
  if (learned.bedrooms != null) parts.push(`${String(learned.bedrooms)} recámaras`);
  if (learned.purpose) parts.push(`para ${learned.purpose === "renta" ? "rentar" : "comprar"}`);
  if (learned.credit_type) parts.push(learned.credit_type === "contado" ? "pago de contado" : `crédito ${String(learned.credit_type)}`);
  if (learned.monthly_income != null) parts.push(`ingreso de ${formatMoney(Number(learned.monthly_income), "MXN")} al mes`);
  if (learned.down_payment != null) parts.push(`enganche de ${formatMoney(Number(learned.down_payment), "MXN")}`);
  return parts.length ? `Perfecto, anoto: ${parts.join(", ")}.` : "";
}

function nextTurn(agent: AgentType, { lead, approval }: TurnProgress): string {
  switch (agent) {
    case "perfilador": {
      const next = missingProfile(lead)[0];
      return next ? QUESTIONS[next] : "¡Gracias! Con eso ya puedo buscar opciones para ti.";
    }
    case "financiero": {
      if (approval?.decided && !approval.approved) {
        const limit = approval.max_price ? ` de hasta ${formatMoney(approval.max_price, lead.currency)}` : "";
        return `Con esos datos, tu capacidad de compra estimada es${limit}. ¿Quieres que busquemos opciones en ese rango o que un asesor revise tu caso?`;
      }
      const next = missingFinance(lead)[0];
      return next ? QUESTIONS[next] : "Gracias, con esto un asesor revisará tu financiamiento.";
    }
    case "agenda":
      return lead.pipeline_stage === "agendado"
        ? "Tu cita ya está agendada. Si necesitas cambiarla, escribe /asesor."
        : "¡Excelente! Tu perfil está listo para una cita con un asesor. Te comparto horarios disponibles.";
    case "seguimiento":
      return "¡Gracias por escribirnos! ¿Cómo te fue en la cita? Si quieres hablar con una persona, escribe /asesor.";
  }
}

