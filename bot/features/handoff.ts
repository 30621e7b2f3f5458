/** /asesor: admins are told, and the bot stays quiet in this chat until released. Asking for a person in words is read by the chat core. */
import { Composer } from "grammy";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";

export { leadSummaryForAdmins } from "../../src/domain/admin-messages";

export function handoffFeature({ chat, telegramChannel }: BotDeps) {
  const feature = new Composer<BotContext>();
  feature.command("asesor", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (identity) await chat.handoff(telegramChannel, identity, ctx.message?.text ?? "/asesor");
  });
  return feature;
}
