/**
 * The phone number, for calls: asked with Telegram's contact-sharing button
 * when the lead reaches the financial stage without one; a shared contact is
 * saved in E.164.
 */
import { Composer } from "grammy";
import { z } from "zod";
import { DomainError } from "../../src/errors";
import { LEAD_ACTOR } from "../../src/services/conversation-service";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";
import type { AdminDeps } from "./admin-deps";

/**
 * A shared contact (https://core.telegram.org/bots/api#contact), as far as we
 * use it: the number becomes the lead's phone for calls, so it must be a
 * plausible international number (8–15 digits, "+" and spacing aside) and
 * not just any text a client put there.
 */
const sharedContact = z.object({
  phone_number: z
    .string()
    .transform((value) => value.replace(/[\s().+-]/g, ""))
    .pipe(z.string().regex(/^[1-9]\d{7,14}$/)),
  user_id: z.number().int().optional(),
});

export function contactFeature(deps: BotDeps & AdminDeps) {
  const feature = new Composer<BotContext>();
  feature.on("message:contact", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    const { lead } = await deps.conversation.findOrCreateLead(identity);
    const answer = async (text: string, removeKeyboard = false) => {
      await deps.conversation.storeReply(lead, text, "financiero", "telegram");
      await ctx.reply(text, removeKeyboard ? { reply_markup: { remove_keyboard: true } } : {});
    };
    const contact = sharedContact.safeParse(ctx.message.contact);
    // Only the lead's own number: a forwarded card of someone else (or one naming no one) is not consent.
    if (!contact.success || contact.data.user_id === undefined || contact.data.user_id !== ctx.from.id) {
      return answer(
        contact.success
          ? "Ese contacto no es tuyo; comparte tu propio número con el botón, por favor."
          : "No pude leer ese número; compártelo con el botón o escríbelo con lada, por ejemplo +52 55 1234 5678.",
      );
    }
    try {
      await deps.services.leads.updateLead(lead.id, { phone: `+${contact.data.phone_number}` }, LEAD_ACTOR);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return answer("No pude guardar ese número; escríbelo con lada, por ejemplo +52 55 1234 5678.");
    }
    return answer("¡Gracias! Guardé tu teléfono.", true);
  });
  return feature;
}
