/** Messages to the admins' chat (TELEGRAM_ADMIN_CHAT_ID) about leads that need a person's eye. */
import type { Api } from "grammy";
import type { Lead } from "../../db/schema";
import { formatBudget } from "../../src/domain/templates";
import type { Logger } from "../../src/logger";

export function leadLine(lead: Lead): string {
  const wants = [lead.property_type, lead.location && `en ${lead.location}`, formatBudget(lead.budget_min, lead.budget_max, lead.currency)].filter(Boolean).join(", ");
  return `#${lead.id} ${lead.name ?? "sin nombre"}${lead.telegram_username ? ` (@${lead.telegram_username})` : ""}${wants ? ` · ${wants}` : ""}`;
}

/** Posts to the admins' chat; a failure is logged, never shown to the lead. */
export async function notifyAdmins(api: Api, adminChatId: number | null, text: string, log: Logger): Promise<void> {
  if (adminChatId === null) return;
  try {
    await api.sendMessage(adminChatId, text);
  } catch (error) {
    log.error({ err: error }, "could not notify admins");
  }
}
