/** /baja and /alta. Typed opt-outs ("STOP", "ya no me escribas") are read by the chat core like on every channel. */
import { Composer } from "grammy";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";

export function optOutFeature({ chat, telegramChannel }: BotDeps) {
  const feature = new Composer<BotContext>();
  feature.command("baja", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (identity) await chat.optOut(telegramChannel, identity, ctx.message?.text ?? "/baja");
  });
  feature.command("alta", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (identity) await chat.optIn(telegramChannel, identity);
  });
  return feature;
}
