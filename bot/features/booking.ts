/** A slot button pressed: the chat core books it (Google Meet link when Google Calendar is configured). */
import { Composer } from "grammy";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";

export function bookingFeature({ chat, telegramChannel }: BotDeps) {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(/^book:/, async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity) return ctx.answerCallbackQuery();
    const result = await chat.pick(telegramChannel, identity, ctx.callbackQuery.data);
    if (result.ok) return ctx.answerCallbackQuery({ text: "Cita agendada" });
    return ctx.answerCallbackQuery(result.problem ? { text: result.problem, show_alert: true } : {});
  });
  return feature;
}
