/**
 * The phone number, for calls: asked with Telegram's contact-sharing button
 * when the lead reaches the financial stage without one; a shared contact is
 * saved in E.164.
 */
import { Composer, Keyboard } from "grammy";
import type { Lead } from "../../db/schema";
import { DomainError } from "../../src/errors";
import { LEAD_ACTOR } from "../../src/services/conversation-service";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";
import type { AdminDeps } from "./admin-deps";

export async function askForPhone(ctx: BotContext, lead: Lead, { conversation }: BotDeps): Promise<void> {
  const text = "Para que un asesor pueda llamarte, ¿me compartes tu teléfono? Toca el botón de abajo.";
  conversation.storeReply(lead, text, "financiero");
  await ctx.reply(text, { reply_markup: new Keyboard().requestContact("📱 Compartir mi teléfono").oneTime().resized() });
}

export function contactFeature(deps: BotDeps & AdminDeps) {
  const feature = new Composer<BotContext>();
  feature.on("message:contact", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    const { lead } = deps.conversation.findOrCreateLead(identity, null);
    const answer = async (text: string, removeKeyboard = false) => {
      deps.conversation.storeReply(lead, text, "financiero");
      await ctx.reply(text, removeKeyboard ? { reply_markup: { remove_keyboard: true } } : {});
    };
    // Only the lead's own number: a forwarded card of someone else is not consent.
    if (ctx.message.contact.user_id !== undefined && ctx.message.contact.user_id !== ctx.from.id) {
      return answer("Ese contacto no es tuyo; comparte tu propio número con el botón, por favor.");
    }
    const digits = ctx.message.contact.phone_number.replace(/\D/g, "");
    try {
      deps.services.leads.updateLead(lead.id, { phone: `+${digits}` }, LEAD_ACTOR);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return answer("No pude guardar ese número; escríbelo con lada, por ejemplo +52 55 1234 5678.");
    }
    return answer("¡Gracias! Guardé tu teléfono.", true);
  });
  return feature;
}
