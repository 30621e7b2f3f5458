/** /start [payload]: finds or creates the lead by chat; a deep-link payload (an ad, a campaign) becomes its source. */
import { Composer } from "grammy";
import { z } from "zod";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";

/**
 * A deep-link payload as Telegram carries it (https://core.telegram.org/bots/features#deep-linking):
 * 1–64 of A–Z, a–z, 0–9, _ and -. Anything else was typed after /start by hand and names no source.
 */
const deepLinkPayload = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export function leadStartFeature({ chat, telegramChannel }: BotDeps) {
  const feature = new Composer<BotContext>();
  feature.command("start", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    const payload = deepLinkPayload.safeParse(ctx.match.trim());
    await chat.start(telegramChannel, identity, payload.success ? payload.data : null);
  });
  return feature;
}
