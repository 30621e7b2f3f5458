/**
 * composeBot(bot, deps): the Telegram bot's features, one Composer each, on
 * the bare bot built earlier (bare-bot.ts), behind one error boundary: a bad
 * update goes to the dispatch guard (logged with its id, counted) and the lead
 * gets a short apology instead of silence.
 */
import { sequentialize } from "@grammyjs/runner";
import type { Bot } from "grammy";
import type { BotContext } from "./context";
import { parseUpdate } from "./middlewares/parse-update";
import type { BotDeps } from "./deps";
import { handoffFeature } from "./features/handoff";
import { leadChatFeature } from "./features/lead-chat";
import { bookingFeature } from "./features/booking";
import { contactFeature } from "./features/contact";
import { leadStartFeature } from "./features/lead-start";
import { optOutFeature } from "./features/opt-out";
import { adminFeature } from "./features/admin";
import type { AdminDeps } from "./features/admin-deps";

export function composeBot(bot: Bot<BotContext>, deps: BotDeps & AdminDeps): Bot<BotContext> {
  // The runner handles updates concurrently; one chat's messages must still run in order
  // (two first messages at once would both try to create the lead).
  bot.use(parseUpdate(deps.log));
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  const features = bot.errorBoundary(async (error) => {
    const updateId = error.ctx.update.update_id;
    deps.guard.failed("telegram_update", { update_id: updateId }, error.error);
    // An update without a chat (or Telegram down) cannot get the apology; that is no new failure.
    await error.ctx
      .reply("Perdón, tuve un problema con tu mensaje. Inténtalo de nuevo en un momento.")
      .catch((replyError: unknown) => deps.log.debug({ err: replyError, update_id: updateId }, "apology for a failed update not sent"));
  });
  // Admin commands first: for admins they answer; for anyone else they fall through.
  features.use(adminFeature(deps));
  features.use(leadStartFeature(deps));
  features.use(optOutFeature(deps));
  features.use(handoffFeature(deps));
  features.use(bookingFeature(deps));
  features.use(contactFeature(deps));
  features.use(leadChatFeature(deps));
  return bot;
}
