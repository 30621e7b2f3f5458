/**
 * Admin wizards (@grammyjs/conversations): /nueva_plantilla and /nueva_campana
 * ask one thing at a time, check each answer with the same rules as the API,
 * and create through the services (inside `external`, so a replay of the
 * conversation never creates twice). "cancelar" leaves at any point.
 */
import type { Conversation } from "@grammyjs/conversations";
import type { Context } from "grammy";
import { triggerConditionProblems } from "../../src/domain/campaign-rules";
import { isPipelineStage } from "../../src/domain/pipeline";
import { AGENT_TYPES, PIPELINE_STAGES, type AgentType, type CampaignTrigger, type PipelineStage } from "../../src/domain/vocabulary";
import { DomainError } from "../../src/errors";
import type { StepFields } from "../../src/services/campaign-service";
import type { Services } from "../../src/services";
import type { BotContext } from "../context";

type Wizard = Conversation<BotContext, Context>;

class Cancelled extends Error {}

/** The admin's next text answer; "cancelar" ends the wizard. */
async function ask(conversation: Wizard, ctx: Context, question: string): Promise<string> {
  await ctx.reply(question);
  const answer = await conversation.waitFor("message:text", { otherwise: (other) => other.reply("Responde con texto, por favor (o «cancelar»).") });
  const text = answer.message.text.trim();
  if (/^\/?cancelar$/i.test(text)) throw new Cancelled();
  return text;
}

/** Asks until `parse` accepts the answer (it returns an error text otherwise). */
async function askUntil<T>(conversation: Wizard, ctx: Context, question: string, parse: (text: string) => T | { error: string }): Promise<T> {
  let prompt = question;
  for (;;) {
    const parsed = parse(await ask(conversation, ctx, prompt));
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) prompt = `${(parsed as { error: string }).error}\n${question}`;
    else return parsed as T;
  }
}

function actorOf(ctx: Context): string {
  return `telegram:admin:${ctx.from?.id ?? "?"}`;
}

export function newTemplateWizard(services: Services) {
  return async function nuevaPlantilla(conversation: Wizard, ctx: Context) {
    try {
      const name = await ask(conversation, ctx, "Nueva plantilla. ¿Cómo se llama? (escribe «cancelar» para salir)");
      const content = await ask(conversation, ctx, "Escribe el mensaje. Puedes usar {{name}}, {{first_name}}, {{budget}}, {{location}}, {{property_type}}, {{appointment_date}}, {{meet_link}}…");
      const confirm = await ask(conversation, ctx, `Plantilla «${name}»:\n${content}\n\n¿La guardo? (sí/no)`);
      if (!/^s[ií]/i.test(confirm)) return ctx.reply("No guardé nada.");
      const saved = await conversation.external(async () => {
        try {
          const template = await services.templates.createTemplate({ name, channel: "telegram", content }, actorOf(ctx));
          return { id: template.id, warnings: template.warnings, error: null };
        } catch (error) {
          if (error instanceof DomainError) return { id: null, warnings: [] as string[], error: error.message };
          throw error;
        }
      });
      if (saved.error) return ctx.reply(`⚠️ ${saved.error}`);
      return ctx.reply([`Plantilla #${saved.id} guardada.`, ...saved.warnings.map((w) => `⚠️ ${w}`)].join("\n"));
    } catch (error) {
      if (error instanceof Cancelled) return ctx.reply("Cancelado.");
      throw error;
    }
  };
}

const TRIGGERS: Record<string, CampaignTrigger> = { etapa: "stage_change", puntuacion: "lead_score", puntuación: "lead_score", inactividad: "inactivity" };
const ACTIONS = ["mensaje", "mover", "llamada"] as const;

export function newCampaignWizard(services: Services) {
  return async function nuevaCampana(conversation: Wizard, ctx: Context) {
    try {
      const name = await ask(conversation, ctx, "Nueva campaña por Telegram. ¿Cómo se llama? (escribe «cancelar» para salir)");
      const trigger = await askUntil<CampaignTrigger>(conversation, ctx, "¿Qué la dispara? etapa, puntuacion o inactividad", (text) =>
        TRIGGERS[text.toLowerCase()] ?? { error: "No entendí." },
      );
      const condition = await askUntil<Record<string, unknown>>(conversation, ctx, conditionQuestion(trigger), (text) => parseCondition(trigger, text));

      const steps: StepFields[] = [];
      for (;;) {
        const choices: string[] = [...ACTIONS, ...(steps.length ? ["listo"] : [])];
        const action = await askUntil<string>(conversation, ctx, `Paso ${steps.length + 1}: ¿qué hace? ${choices.join(", ")}`, (text) =>
          choices.includes(text.toLowerCase()) ? text.toLowerCase() : { error: "No entendí." },
        );
        if (action === "listo") break;
        const step: StepFields = { step_number: steps.length + 1, action: "send_message", delay_hours: 0 };
        if (action === "mensaje") {
          const templates = await conversation.external(async () => (await services.templates.listTemplates()).map((t) => ({ id: t.id, name: t.name })));
          const list = templates.map((t) => `#${t.id} ${t.name}`).join("\n");
          step.message_template_id = await askUntil<number>(conversation, ctx, `¿Qué plantilla? Escribe su número:\n${list}`, (text) => {
            const id = Number(text.replace("#", ""));
            return templates.some((t) => t.id === id) ? id : { error: "Esa plantilla no existe." };
          });
        } else if (action === "mover") {
          step.action = "update_stage";
          step.target_stage = await askUntil<PipelineStage>(conversation, ctx, `¿A qué etapa? ${PIPELINE_STAGES.join(", ")}`, (text) =>
            isPipelineStage(text) ? text : { error: "Esa etapa no existe." },
          );
        } else {
          step.action = "start_call";
          step.agent_type = await askUntil<AgentType>(conversation, ctx, "¿Qué agente llama? perfilador o financiero", (text) =>
            (AGENT_TYPES as readonly string[]).includes(text) ? (text as AgentType) : { error: "Ese agente no existe." },
          );
        }
        step.delay_hours = await askUntil<number>(conversation, ctx, "¿Cuántas horas después? (0 = de inmediato; admite decimales)", (text) => {
          const hours = Number(text.replace(",", "."));
          return Number.isFinite(hours) && hours >= 0 ? hours : { error: "Debe ser un número de horas, 0 o más." };
        });
        steps.push(step);
      }

      const summary = steps.map((s) => `${s.step_number}. ${s.action} tras ${s.delay_hours} h`).join("\n");
      const confirm = await ask(conversation, ctx, `Campaña «${name}» (${trigger} ${JSON.stringify(condition)}):\n${summary}\n\n¿La creo como borrador? (sí/no)`);
      if (!/^s[ií]/i.test(confirm)) return ctx.reply("No creé nada.");
      const created = await conversation.external(async () => {
        try {
          const actor = actorOf(ctx);
          const campaign = await services.campaigns.createCampaign({ name, channel: "telegram", triggered_by: trigger, trigger_condition: condition }, actor);
          for (const step of steps) await services.campaigns.addStep(campaign.id, step, actor);
          return { id: campaign.id, error: null };
        } catch (error) {
          if (error instanceof DomainError) return { id: null, error: error.message };
          throw error;
        }
      });
      if (created.error) return ctx.reply(`⚠️ ${created.error}`);
      return ctx.reply(`Campaña #${created.id} creada en borrador. Actívala con /activar ${created.id}.`);
    } catch (error) {
      if (error instanceof Cancelled) return ctx.reply("Cancelado.");
      throw error;
    }
  };
}

function conditionQuestion(trigger: CampaignTrigger): string {
  switch (trigger) {
    case "stage_change":
      return `¿Al entrar a qué etapa? ${PIPELINE_STAGES.join(", ")}`;
    case "lead_score":
      return "¿Qué rango de puntuación? Por ejemplo: 20-50";
    case "inactivity":
      return "¿Tras cuántos días sin actividad? (1 o más)";
  }
}

function parseCondition(trigger: CampaignTrigger, text: string): Record<string, unknown> | { error: string } {
  let condition: Record<string, unknown>;
  if (trigger === "stage_change") condition = { stage: text };
  else if (trigger === "lead_score") {
    const [min, max] = text.split(/\s*(?:-|a)\s*/).map(Number);
    condition = { score_min: min, score_max: max };
  } else condition = { inactivity_days: Number(text) };
  const problems = triggerConditionProblems(trigger, condition);
  return problems.length ? { error: problems.map((p) => p.message).join("; ") } : condition;
}
