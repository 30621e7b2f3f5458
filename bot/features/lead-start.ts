/** /start [payload]: finds or creates the lead by chat; a deep-link payload (an ad, a campaign) becomes its source. */
import { Composer } from "grammy";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";

export function leadStartFeature({ conversation }: BotDeps) {
  const feature = new Composer<BotContext>();
  feature.command("start", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    const payload = ctx.match.trim() || null;
    const { reply } = conversation.startChat(identity, payload);
    await ctx.reply(reply);
  });
  return feature;
}
