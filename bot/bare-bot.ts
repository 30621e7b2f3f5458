/**
 * The process's one grammY Bot, bare: built before anything that talks to
 * Telegram, so the bot, campaigns, reminders and admin notices all go through
 * its Api, with one throttler and one retry layer. Its features are composed
 * later (composeBot in index.ts), once the services they use exist.
 */
import { Bot } from "grammy";
import { installTelegramLimits, type TelegramLimitsOptions } from "../src/channels/telegram-limits";
import { sendPriorityScope } from "../src/channels/telegram-throttler-priority";
import type { BotContext } from "./context";

export interface BareBotOptions {
  token: string;
  apiRoot: string;
  limits: TelegramLimitsOptions;
}

export function createBareBot(options: BareBotOptions): Bot<BotContext> {
  // Above the runner's 30 s long poll, which shares this client; a send that hangs longer is an unknown outcome.
  const bot = new Bot<BotContext>(options.token, { client: { apiRoot: options.apiRoot, timeoutSeconds: 60 } });
  installTelegramLimits(bot.api, options.limits);
  // The first middleware, before every feature: what the bot sends to the chat whose update it is
  // handling goes ahead of campaign messages and notices queued for that chat (the throttler's priority).
  bot.use(sendPriorityScope());
  return bot;
}
