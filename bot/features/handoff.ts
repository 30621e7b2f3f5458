/** /asesor or asking for a person: admins are told, and the bot stays quiet in this chat until released. */
import { Composer } from "grammy";
import { formatBudget } from "../../src/domain/templates";
import { STAGE_LABELS } from "../../src/domain/vocabulary";
import type { Lead } from "../../db/schema";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";
import { notifyAdmins } from "./admin-notify";

const ASKS_FOR_PERSON = /(hablar|platicar|comunicarme) con (una persona|alguien|un asesor|un humano|un agente)|quiero (un|a un) asesor|p[aá]same (a|con) (un|una) (asesor|persona)/i;

export function handoffFeature({ conversation, adminChatId, log }: BotDeps) {
  const feature = new Composer<BotContext>();
  const handoff = async (ctx: BotContext) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    const { lead, reply, already } = conversation.requestHandoff(identity, ctx.message?.text ?? "/asesor");
    await ctx.reply(reply);
    if (!already) await notifyAdmins(ctx.api, adminChatId, leadSummaryForAdmins(lead), log);
  };
  feature.command("asesor", handoff);
  feature.hears(ASKS_FOR_PERSON, handoff);
  return feature;
}

/** What an admin needs to pick the chat up. */
export function leadSummaryForAdmins(lead: Lead): string {
  const lines = [
    `🔔 El lead #${lead.id} (${lead.name ?? "sin nombre"}${lead.telegram_username ? `, @${lead.telegram_username}` : ""}) pidió hablar con un asesor.`,
    `Etapa: ${STAGE_LABELS[lead.pipeline_stage]} · Puntuación: ${lead.score}`,
  ];
  const wants = [lead.property_type, lead.location && `en ${lead.location}`, formatBudget(lead.budget_min, lead.budget_max, lead.currency)]
    .filter(Boolean)
    .join(", ");
  if (wants) lines.push(`Busca: ${wants}`);
  if (lead.credit_type) lines.push(`Pago: ${lead.credit_type}${lead.monthly_income ? `, ingreso ${lead.monthly_income}` : ""}`);
  lines.push(`El bot no responderá en ese chat hasta que lo liberes con /liberar ${lead.id}.`);
  return lines.join("\n");
}
