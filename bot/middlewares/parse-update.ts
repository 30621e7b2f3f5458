/**
 * The first middleware: an update whose fields we read do not have the types
 * Telegram documents is logged (update id and issue paths, never the text)
 * and dropped before any feature sees it. Telegram never sends such updates;
 * whoever does gets no answer.
 */
import type { MiddlewareFn } from "grammy";
import { issuePaths, type Logger } from "../../src/logger";
import type { BotContext } from "../context";
import { telegramUpdateSchema } from "../telegram-update-schema";

export function parseUpdate(log: Logger): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const parsed = telegramUpdateSchema.safeParse(ctx.update);
    if (!parsed.success) {
      log.warn({ update_id: typeof ctx.update.update_id === "number" ? ctx.update.update_id : null, problems: issuePaths(parsed.error) }, "Telegram update refused");
      return;
    }
    await next();
  };
}
