/**
 * The agents' prompts: Spanish text files in prompts/, one per agent, with
 * {{placeholders}} documented at the top of each (the HTML comment is not
 * sent to the model). Read once, filled per turn.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Lead } from "../../db/schema";
import { formatBudget, formatMoney } from "../domain/templates";
import { missingFinance, missingProfile } from "../domain/qualification";
import { STAGE_LABELS, type AgentType } from "../domain/vocabulary";
import type { OfferedSlot } from "./lead-agent";

const PROMPTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../prompts");
const cache = new Map<string, string>();

function template(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(resolve(PROMPTS_DIR, `${name}.md`), "utf8").replace(/<!--[\s\S]*?-->\s*/, "");
    cache.set(name, text);
  }
  return text;
}

/** "campo: valor" lines of what we know, so the model never asks again. */
export function knownFactsText(lead: Lead): string {
  const lines = [
    lead.name && `nombre: ${lead.name}`,
    `etapa: ${STAGE_LABELS[lead.pipeline_stage]}`,
    lead.property_type && `tipo de propiedad: ${lead.property_type}`,
    lead.location && `zona: ${lead.location}`,
    formatBudget(lead.budget_min, lead.budget_max, lead.currency) && `presupuesto: ${formatBudget(lead.budget_min, lead.budget_max, lead.currency)}`,
    lead.purpose && `para: ${lead.purpose}`,
    lead.bedrooms !== null && `recámaras: ${lead.bedrooms}`,
    lead.timeline && `plazo: ${lead.timeline}`,
    lead.credit_type && `pago: ${lead.credit_type}`,
    lead.monthly_income !== null && `ingreso mensual: ${formatMoney(lead.monthly_income, "MXN")}`,
    lead.down_payment !== null && `enganche: ${formatMoney(lead.down_payment, "MXN")}`,
  ];
  return lines.filter(Boolean).join("\n") || "(nada todavía)";
}

/** The voice variant: the phone-call preamble, then the agent's own prompt. */
export function renderVoicePrompt(agent: AgentType, lead: Lead, agencyName: string): string {
  return fill(template("llamada"), lead, agent, agencyName) + renderPrompt(agent, lead, agencyName);
}

export function renderPrompt(agent: AgentType, lead: Lead, agencyName: string): string {
  return fill(template(agent), lead, agent, agencyName);
}

/** The chat variant: the agent's own prompt, then how to use the tools and the slots on offer. */
export function renderChatPrompt(agent: AgentType, lead: Lead, agencyName: string, offered: readonly OfferedSlot[]): string {
  const slots = offered.length ? offered.map((slot) => `- ${slot.legible} (inicio: ${slot.inicio})`).join("\n") : "(ninguno)";
  return `${renderPrompt(agent, lead, agencyName).trimEnd()}\n\n${fill(template("herramientas"), lead, agent, agencyName, { offered_slots: slots })}`;
}

function fill(text: string, lead: Lead, agent: AgentType, agencyName: string, extra: Record<string, string> = {}): string {
  const missing = agent === "financiero" ? missingFinance(lead) : missingProfile(lead);
  const values: Record<string, string> = {
    lead_name: lead.name?.split(/\s+/)[0] ?? "sin nombre",
    known_facts: knownFactsText(lead),
    missing: missing.length ? missing.join(", ") : "(nada)",
    agency_name: agencyName,
    ...extra,
  };
  return text.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => values[name] ?? "");
}
