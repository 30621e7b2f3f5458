/**
 * createBot(deps): the Telegram bot, composed of one Composer per feature,
 * behind one error boundary (a bad update is logged and survived; the lead
 * gets a short apology instead of silence).
 */
import { sequentialize } from "@grammyjs/runner";
import { conversations } from "@grammyjs/conversations";
import { Bot } from "grammy";
import type { BotContext } from "./context";
import type { BotDeps } from "./deps";
import { handoffFeature } from "./features/handoff";
import { leadChatFeature } from "./features/lead-chat";
import { bookingFeature } from "./features/booking";
import { contactFeature } from "./features/contact";
import { leadStartFeature } from "./features/lead-start";
import { optOutFeature } from "./features/opt-out";
import { adminFeature } from "./features/admin";
import type { AdminDeps } from "./features/admin-deps";

export interface BotOptions {
  token: string;
  apiRoot: string;
}

export function createBot(options: BotOptions, deps: BotDeps & AdminDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(options.token, { client: { apiRoot: options.apiRoot } });
  // The runner handles updates concurrently; one chat's messages must still run in order
  // (two first messages at once would both try to create the lead).
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  // Wizard state lives in memory: a restart drops a half-filled wizard, never data.
  bot.use(conversations());
  const features = bot.errorBoundary(async (error) => {
    deps.log.error({ err: error.error, update_id: error.ctx.update.update_id }, "bot update failed");
    await error.ctx.reply("Perdón, tuve un problema con tu mensaje. Inténtalo de nuevo en un momento.").catch(() => undefined);
  });
  // Admin commands first: for admins they answer; for anyone else they fall through.
  features.use(adminFeature(deps));
  features.use(leadStartFeature(deps));
  features.use(optOutFeature(deps));
  features.use(handoffFeature(deps));
  const booking = { booking: deps.booking, conversation: deps.conversation, timeZone: deps.timeZone, adminChatId: deps.adminChatId, log: deps.log };
  features.use(bookingFeature(booking));
  features.use(contactFeature(deps));
  features.use(leadChatFeature(deps, booking));
  return bot;
}
