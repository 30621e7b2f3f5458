/** Everything admins can do from Telegram, behind the allow-list, and the command menus for each audience. */
import type { Api } from "grammy";
import { conversations, createConversation } from "@grammyjs/conversations";
import { newCampaignWizard, newTemplateWizard } from "../conversations/admin-wizards";
import { adminOnly } from "./admin-guard";
import { adminCampaignCommands } from "./admin-campaigns";
import type { AdminDeps } from "./admin-deps";
import { adminPipelineCommands } from "./admin-pipeline";

export const LEAD_COMMANDS = [
  { command: "start", description: "Empezar" },
  { command: "asesor", description: "Hablar con un asesor" },
  { command: "baja", description: "No recibir más mensajes" },
  { command: "alta", description: "Volver a recibir mensajes" },
];

export const ADMIN_COMMANDS = [
  { command: "pipeline", description: "Métricas del pipeline" },
  { command: "leads", description: "Leads de una etapa: /leads <etapa>" },
  { command: "lead", description: "Perfil de un lead: /lead <id>" },
  { command: "mover", description: "Mover de etapa: /mover <id> <etapa> [motivo]" },
  { command: "liberar", description: "Devolver un chat al bot: /liberar <id>" },
  { command: "llamar", description: "Llamada con IA: /llamar <id>" },
  { command: "campanas", description: "Listar campañas" },
  { command: "campana", description: "Pasos y estadísticas: /campana <id>" },
  { command: "activar", description: "Activar campaña: /activar <id>" },
  { command: "pausar", description: "Pausar campaña: /pausar <id>" },
  { command: "plantillas", description: "Listar plantillas" },
  { command: "nueva_plantilla", description: "Crear una plantilla paso a paso" },
  { command: "nueva_campana", description: "Crear una campaña paso a paso" },
];

export function adminFeature(deps: AdminDeps) {
  const { feature, admin } = adminOnly(deps.adminIds);
  // Only admins have wizards, so only their updates go through the plugin (it reads its storage and
  // builds its controls on every update it sees). Wizard state lives in memory: a restart drops a
  // half-filled wizard, never data.
  admin.use(conversations());
  admin.use(createConversation(newTemplateWizard(deps.services), "nueva_plantilla"));
  admin.use(createConversation(newCampaignWizard(deps.services), "nueva_campana"));
  admin.command("nueva_plantilla", (ctx) => ctx.conversation.enter("nueva_plantilla"));
  admin.command("nueva_campana", (ctx) => ctx.conversation.enter("nueva_campana"));
  adminPipelineCommands(admin, deps);
  adminCampaignCommands(admin, deps);
  return feature;
}

/** Leads see only their commands; each admin's private chat also lists the admin ones. */
export async function registerCommandMenus(api: Api, adminIds: readonly number[]): Promise<void> {
  await api.setMyCommands(LEAD_COMMANDS, { scope: { type: "default" } });
  for (const id of adminIds) {
    await api.setMyCommands([...ADMIN_COMMANDS, ...LEAD_COMMANDS], { scope: { type: "chat", chat_id: id } });
  }
}
