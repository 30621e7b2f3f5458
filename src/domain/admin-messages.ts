/** The lines admins read about a lead (in their Telegram chat), whatever channel the lead writes on. */
import type { Lead } from "../../db/schema";
import { formatBudget } from "./templates";
import { CONTACT_CHANNEL_LABELS, contactChannels } from "./contact-channels";
import { STAGE_LABELS } from "./vocabulary";

/** The channels a lead can be reached on, as admins read them. */
export function leadChannels(lead: Lead): string[] {
  return contactChannels(lead).map((channel) => CONTACT_CHANNEL_LABELS[channel]);
}

function wants(lead: Lead): string {
  return [lead.property_type, lead.location && `en ${lead.location}`, formatBudget(lead.budget_min, lead.budget_max, lead.currency)].filter(Boolean).join(", ");
}

export function leadLine(lead: Lead): string {
  const looking = wants(lead);
  return `#${lead.id} ${lead.name ?? "sin nombre"}${lead.telegram_username ? ` (@${lead.telegram_username})` : ""}${looking ? ` · ${looking}` : ""}`;
}

/** What an admin needs to pick the chat up. */
export function leadSummaryForAdmins(lead: Lead): string {
  const lines = [
    `🔔 El lead #${lead.id} (${lead.name ?? "sin nombre"}${lead.telegram_username ? `, @${lead.telegram_username}` : ""}) pidió hablar con un asesor.`,
    `Etapa: ${STAGE_LABELS[lead.pipeline_stage]} · Puntuación: ${lead.score} · Canales: ${leadChannels(lead).join(", ") || "ninguno"}`,
  ];
  const looking = wants(lead);
  if (looking) lines.push(`Busca: ${looking}`);
  if (lead.credit_type) lines.push(`Pago: ${lead.credit_type}${lead.monthly_income ? `, ingreso ${lead.monthly_income}` : ""}`);
  lines.push(`El bot no responderá en ese chat hasta que lo liberes con /liberar ${lead.id}.`);
  return lines.join("\n");
}
