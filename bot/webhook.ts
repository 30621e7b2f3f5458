/**
 * Webhook mode: Telegram POSTs updates to a route on the API's own server.
 * The secret token Telegram echoes in X-Telegram-Bot-Api-Secret-Token is
 * checked (401 otherwise). A malformed update is logged and dropped; one whose
 * handling throws goes to the dispatch guard (logged with ids, counted). Both
 * are acknowledged with 200, so Telegram does not resend them forever.
 */
import type { FastifyInstance } from "fastify";
import { webhookCallback, type Bot } from "grammy";
import { z } from "zod";
import { issuePaths, type Logger } from "../src/logger";
import type { DispatchGuard } from "../src/observability/dispatch-guard";
import type { BotContext } from "./context";

export interface WebhookOptions {
  url: string;
  secret: string;
}

/**
 * What we check before grammY sees an update (https://core.telegram.org/bots/api#update):
 * an object with an integer update_id. The rest passes through; grammY's filters
 * and each feature's own checks take it from there.
 */
const webhookUpdate = z.looseObject({ update_id: z.number().int() });

export async function mountWebhook(app: FastifyInstance, bot: Bot<BotContext>, options: WebhookOptions, guard: DispatchGuard, log: Logger): Promise<void> {
  const handle = webhookCallback(bot, "fastify", { secretToken: options.secret, onTimeout: "return", timeoutMilliseconds: 9_000 });
  app.post(new URL(options.url).pathname, { schema: { hide: true } }, async (request, reply) => {
    // Without the right secret grammY answers 401 before reading anything: only Telegram's own requests are parsed.
    if (request.headers["x-telegram-bot-api-secret-token"] === options.secret) {
      const parsed = webhookUpdate.safeParse(request.body);
      if (!parsed.success) {
        log.warn({ body_type: request.body === null ? "null" : typeof request.body, problems: issuePaths(parsed.error) }, "malformed Telegram update dropped");
        return reply.code(200).send({ ok: true });
      }
    }
    try {
      return await handle(request, reply);
    } catch (error) {
      guard.failed("telegram_webhook", { update_id: webhookUpdate.safeParse(request.body).data?.update_id ?? null }, error);
      return reply.code(200).send({ ok: true });
    }
  });
}

/** Tells Telegram where to send updates (and with which secret). */
export async function registerWebhook(bot: Bot<BotContext>, options: WebhookOptions): Promise<void> {
  await bot.api.setWebhook(options.url, { secret_token: options.secret, drop_pending_updates: false });
}
