/** Admin commands over campaigns and templates: /campanas, /campana <id>, /activar <id>, /pausar <id>, /plantillas. */
import type { Composer } from "grammy";
import type { BotContext } from "../context";
import { adminActor } from "./admin-guard";
import type { AdminDeps } from "./admin-deps";
import { guard } from "./admin-pipeline";
import { parseIdArgument } from "./command-args";

const STATUS_LABELS = { draft: "borrador", active: "activa", paused: "pausada", archived: "archivada" } as const;
const ACTION_LABELS = { send_message: "enviar mensaje", update_stage: "mover etapa", start_call: "llamada IA" } as const;

export function adminCampaignCommands(admin: Composer<BotContext>, { services }: AdminDeps): void {
  admin.command("campanas", async (ctx) => {
    const campaigns = await services.campaigns.listCampaigns();
    if (campaigns.length === 0) return ctx.reply("No hay campañas.");
    return ctx.reply(campaigns.map((c) => `#${c.id} ${c.name} · ${STATUS_LABELS[c.status]} · ${c.triggered_by}`).join("\n"));
  });

  admin.command("campana", async (ctx) => {
    const id = parseIdArgument(ctx.match);
    if (id === null) return ctx.reply("Uso: /campana <id>");
    const campaign = await guard(() => services.campaigns.getCampaignWithSteps(id));
    if (typeof campaign === "string") return ctx.reply(campaign);
    const stats = await services.campaigns.stats(id);
    const steps = campaign.steps.map(
      (s) =>
        `${s.step_number}. ${ACTION_LABELS[s.action]}${s.target_stage ? ` → ${s.target_stage}` : ""}${s.message_template_id ? ` (plantilla ${s.message_template_id})` : ""} tras ${s.delay_hours} h`,
    );
    return ctx.reply(
      [
        `#${campaign.id} ${campaign.name} · ${STATUS_LABELS[campaign.status]}`,
        `Disparador: ${campaign.triggered_by} ${JSON.stringify(campaign.trigger_condition)}`,
        ...steps,
        `Pasos ejecutados: ${stats.total_steps_executed} · leads contactados: ${stats.unique_leads_contacted} · éxito ${Math.round(stats.success_rate * 100)}%${stats.needs_review ? ` · por revisar ${stats.needs_review} (puede que hayan llegado o no)` : ""}`,
      ].join("\n"),
    );
  });

  for (const [command, status, done] of [
    ["activar", "active", "activada"],
    ["pausar", "paused", "pausada"],
  ] as const) {
    admin.command(command, async (ctx) => {
      const id = parseIdArgument(ctx.match);
      if (id === null) return ctx.reply(`Uso: /${command} <id>`);
      const result = await guard(() => services.campaigns.updateCampaign(id, { status }, adminActor(ctx)));
      return ctx.reply(typeof result === "string" ? result : `Campaña #${id} ${done}.`);
    });
  }

  admin.command("plantillas", async (ctx) => {
    const templates = await services.templates.listTemplates();
    if (templates.length === 0) return ctx.reply("No hay plantillas.");
    return ctx.reply(templates.map((t) => `#${t.id} ${t.name} (${t.channel})\n${t.content}`).join("\n\n"));
  });
}
