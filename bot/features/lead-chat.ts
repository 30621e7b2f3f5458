/** Every other text from a lead: the stage's agent answers (unless a person took over the chat). */
import { Composer } from "grammy";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";
import { leadLine, notifyAdmins } from "./admin-notify";
import { offerSlots, type BookingFeatureDeps } from "./booking";
import { askForPhone } from "./contact";

export function leadChatFeature(deps: BotDeps, booking: BookingFeatureDeps) {
  const { conversation, adminChatId, log } = deps;
  const feature = new Composer<BotContext>();
  feature.on("message:text", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity || ctx.message.text.startsWith("/")) return;
    // Only a model takes long enough for "escribiendo…" to help; the offline agent answers at once.
    if (conversation.agentKind === "openai") await ctx.replyWithChatAction("typing").catch(() => undefined);
    const turn = await conversation.handleMessage(identity, ctx.message.text, String(ctx.message.message_id));
    if (turn.reply) await ctx.reply(turn.reply);
    if (turn.moved_to.includes("calificacion_financiera")) {
      await notifyAdmins(ctx.api, adminChatId, `✅ Perfil completo, pasa a calificación financiera: ${leadLine(turn.lead)}`, log);
      if (!turn.lead.phone) await askForPhone(ctx, turn.lead, deps);
    }
    if (turn.approved_now) await notifyAdmins(ctx.api, adminChatId, `💰 Aprobado financieramente (${turn.lead.credit_type ?? "—"}): ${leadLine(turn.lead)}`, log);
    if (turn.offer_booking) await offerSlots(ctx, turn.lead, booking);
  });
  // Audio and images are not read yet: say so instead of leaving the lead waiting.
  feature.on(["message:voice", "message:audio", "message:photo", "message:video", "message:document"], async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    const { lead } = conversation.findOrCreateLead(identity, null);
    if (lead.handoff_at) return;
    const reply = "Por ahora solo puedo leer mensajes de texto. ¿Me lo escribes, por favor?";
    conversation.storeReply(lead, reply, "perfilador");
    await ctx.reply(reply);
  });
  return feature;
}
