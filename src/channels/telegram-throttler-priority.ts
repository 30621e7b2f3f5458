/**
 * Which Telegram sends are replies: what the bot sends to the chat whose
 * update it is handling, while it handles it. Those go ahead of campaign
 * messages and admin notices in the throttler (telegram-throttler.ts); every
 * other send is bulk.
 *
 * Known from an AsyncLocalStorage scope opened by one middleware, the bot's
 * first, rather than from a flag at each call site: replies leave through
 * ctx.reply, the chat service's channel port, the conversations plugin and
 * the error boundary's apology, and campaigns, reminders and notices through
 * three more paths. None of them has to say anything, and a new one is
 * covered. Two things make the scope precise:
 * - only sends to the update's own chat are replies: the admin notice that a
 *   lead's /asesor triggers goes to another chat, and stays bulk;
 * - the scope closes when the update's handling ends: work the update set off
 *   and left running (a campaign pass kicked by a stage move) inherits the
 *   scope, but what it sends after the handling ended is bulk. What such work
 *   sends to the same chat while the handling still runs counts as a reply, as
 *   the lead's own message caused it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Context, MiddlewareFn } from "grammy";

export type SendPriority = "reply" | "bulk";

/** A chat as the throttler keys it: the numeric id, or a lower-cased @username. */
export type ChatKey = number | string;

interface HandlingScope {
  readonly chat: ChatKey;
  open: boolean;
}

const handling = new AsyncLocalStorage<HandlingScope>();

/**
 * The bot's first middleware: the update's handling runs in a scope naming its
 * chat (a chatless update, such as a press on an inline message's button,
 * names the private chat of who sent it).
 */
export function sendPriorityScope(): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const chat = ctx.chat?.id ?? ctx.from?.id;
    if (chat === undefined) return next();
    const scope: HandlingScope = { chat, open: true };
    try {
      await handling.run(scope, next);
    } finally {
      scope.open = false;
    }
  };
}

/** The priority of a send to `chat` made here and now. */
export function sendPriority(chat: ChatKey): SendPriority {
  const scope = handling.getStore();
  return scope !== undefined && scope.open && scope.chat === chat ? "reply" : "bulk";
}
