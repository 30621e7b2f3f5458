/** /baja, "STOP", "ya no me escribas": the lead stops campaign messages and calls. /alta turns them back on. */
import { Composer } from "grammy";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";

const OPT_OUT_TEXT = /^\s*(stop|baja|alto|unsubscribe)\s*[.!]?\s*$|ya no me (escribas|escriban|mandes|manden)|dejen de escribirme|no quiero (recibir )?(m[aá]s )?mensajes/i;

export function optOutFeature({ conversation }: BotDeps) {
  const feature = new Composer<BotContext>();
  const optOut = async (ctx: BotContext) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    await ctx.reply(conversation.optOut(identity, ctx.message?.text ?? "/baja").reply);
  };
  feature.command("baja", optOut);
  feature.hears(OPT_OUT_TEXT, optOut);
  feature.command("alta", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    await ctx.reply(conversation.optIn(identity).reply);
  });
  return feature;
}
