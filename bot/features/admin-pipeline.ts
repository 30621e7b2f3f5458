/** Admin commands over leads and the pipeline: /pipeline, /leads <etapa>, /lead <id>, /mover, /liberar. */
import type { Composer } from "grammy";
import { lastMessages } from "../../db/repositories/messages-repository";
import { isPipelineStage } from "../../src/domain/pipeline";
import { leadChannels } from "../../src/domain/admin-messages";
import { formatBudget } from "../../src/domain/templates";
import { PIPELINE_STAGES, STAGE_LABELS } from "../../src/domain/vocabulary";
import { DomainError } from "../../src/errors";
import type { BotContext } from "../context";
import { adminActor } from "./admin-guard";
import type { AdminDeps } from "./admin-deps";
import { parseIdArgument } from "./command-args";

export function adminPipelineCommands(admin: Composer<BotContext>, { services, conversation, db }: AdminDeps): void {
  admin.command("pipeline", async (ctx) => {
    const metrics = await services.pipeline.metrics();
    const lines = metrics.stages.map(
      (s) => `${STAGE_LABELS[s.stage]}: ${s.count}${s.conversion_to_next !== null ? ` · conversión ${Math.round(s.conversion_to_next * 100)}%` : ""}`,
    );
    const winRate = metrics.totals.win_rate === null ? "—" : `${Math.round(metrics.totals.win_rate * 100)}%`;
    await ctx.reply([`📊 Pipeline (${metrics.totals.leads} leads, ganados ${metrics.totals.won}, tasa de cierre ${winRate})`, ...lines].join("\n"));
  });

  admin.command("leads", async (ctx) => {
    const stage = ctx.match.trim();
    if (!isPipelineStage(stage)) return ctx.reply(`Uso: /leads <etapa>. Etapas: ${PIPELINE_STAGES.join(", ")}`);
    const page = await services.pipeline.listStageLeads(stage, 0, 20);
    if (page.total === 0) return ctx.reply(`No hay leads en ${STAGE_LABELS[stage]}.`);
    const lines = page.items.map((lead) => `#${lead.id} ${lead.name ?? "sin nombre"} · puntuación ${lead.score}`);
    return ctx.reply([`${STAGE_LABELS[stage]}: ${page.total} leads${page.total > 20 ? " (los 20 más recientes)" : ""}`, ...lines].join("\n"));
  });

  admin.command("lead", async (ctx) => {
    const id = parseIdArgument(ctx.match);
    if (id === null) return ctx.reply("Uso: /lead <id>");
    const lead = await guard(() => services.leads.getLeadWithHistory(id));
    if (typeof lead === "string") return ctx.reply(lead);
    const calls = await services.calls.listCallsForLead(id);
    const recent = await db.run((q) => lastMessages(q, id, 5));
    const wants = [lead.property_type, lead.location && `en ${lead.location}`, formatBudget(lead.budget_min, lead.budget_max, lead.currency)]
      .filter(Boolean)
      .join(", ");
    const lines = [
      `#${lead.id} ${lead.name ?? "sin nombre"}${lead.telegram_username ? ` (@${lead.telegram_username})` : ""}`,
      `Etapa: ${STAGE_LABELS[lead.pipeline_stage]} · Puntuación: ${lead.score}${lead.financially_approved ? " · Aprobado" : ""}${lead.opted_out ? " · Dado de baja" : ""}${lead.handoff_at ? " · Con asesor" : ""}`,
      `Canales: ${leadChannels(lead).join(", ") || "ninguno"}${lead.source ? ` · Origen: ${lead.source}` : ""}`,
      wants && `Busca: ${wants}`,
      lead.credit_type && `Pago: ${lead.credit_type}${lead.monthly_income ? `, ingreso ${lead.monthly_income}` : ""}`,
      `Historial: ${lead.stage_history.map((h) => STAGE_LABELS[h.to_stage]).join(" → ")}`,
      `Llamadas: ${calls.length}`,
      "Últimos mensajes:",
      ...recent
        .reverse()
        .map((m) => `${m.direction === "inbound" ? "👤" : "🤖"}${m.channel === "whatsapp" ? " [WhatsApp]" : ""} ${m.text.slice(0, 120)}`),
    ];
    return ctx.reply(lines.filter(Boolean).join("\n"));
  });

  admin.command("mover", async (ctx) => {
    const [idText, stage, ...reason] = ctx.match.trim().split(/\s+/);
    const id = parseIdArgument(idText);
    if (id === null || !stage || !isPipelineStage(stage)) {
      return ctx.reply(`Uso: /mover <id> <etapa> [motivo]. Etapas: ${PIPELINE_STAGES.join(", ")}`);
    }
    // An admin's explicit move may skip or go back: it is forced and says so in the history.
    const change = await guard(() => services.pipeline.moveLeadToStage(id, { new_stage: stage, reason: reason.join(" ") || "Movido por un asesor", force: true }, adminActor(ctx)));
    if (typeof change === "string") return ctx.reply(change);
    return ctx.reply(`Lead #${id}: ${STAGE_LABELS[change.from_stage]} → ${STAGE_LABELS[change.to_stage]}`);
  });

  admin.command("llamar", async (ctx) => {
    const id = parseIdArgument(ctx.match);
    if (id === null) return ctx.reply("Uso: /llamar <id>");
    try {
      const call = await services.calls.initiateCall({ lead_id: id, agent_type: "perfilador" }, adminActor(ctx));
      return ctx.reply(`Llamando al lead #${id} (llamada #${call.id}).`);
    } catch (error) {
      if (error instanceof DomainError) return ctx.reply(`⚠️ ${error.message}`);
      throw error;
    }
  });

  admin.command("liberar", async (ctx) => {
    const id = parseIdArgument(ctx.match);
    if (id === null) return ctx.reply("Uso: /liberar <id>");
    const lead = await guard(() => conversation.releaseHandoff(id, adminActor(ctx)));
    return ctx.reply(typeof lead === "string" ? lead : `El bot vuelve a atender a #${id} ${lead.name ?? ""}`.trim());
  });
}

/** Runs a use case; a domain error becomes its Spanish message for the admin. */
export async function guard<T>(work: () => T | Promise<T>): Promise<T | string> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) return `⚠️ ${error.message}`;
    throw error;
  }
}
