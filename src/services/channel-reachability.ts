/**
 * A channel refused a lead for good (Telegram: the bot was blocked or the
 * chat is gone; WhatsApp: an invalid number or one without WhatsApp): the
 * lead is marked unreachable there, with the reason and an audit row, so
 * campaigns and reminders stop writing to it on that channel.
 */
import type { Executor } from "../../db/executor";
import { insertAudit } from "../../db/repositories/audit-repository";
import { setLeadFields } from "../../db/repositories/leads-repository";
import type { Channel } from "../domain/vocabulary";

/**
 * Inside a transaction, so the mark and its audit row land together: the
 * caller's (`tx`), or one of its own (`db.transaction((tx) => markChannelUnreachable(tx, …))`).
 */
export async function markChannelUnreachable(tx: Executor, now: Date, leadId: number, channel: Channel, reason: string): Promise<void> {
  await setLeadFields(
    tx,
    leadId,
    channel === "telegram"
      ? { telegram_unreachable_at: now, telegram_unreachable_reason: reason, updated_at: now }
      : { whatsapp_unreachable_at: now, whatsapp_unreachable_reason: reason, updated_at: now },
  );
  await insertAudit(tx, { actor: `system:${channel}`, action: `lead.${channel}_unreachable`, entity: "lead", entity_id: leadId, after: { reason } }, now);
}
