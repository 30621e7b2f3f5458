/**
 * Webhook mode: Telegram POSTs updates to a route on the API's own server.
 * The secret token Telegram echoes in X-Telegram-Bot-Api-Secret-Token is
 * checked (401 otherwise). A malformed update is logged and acknowledged with
 * 200, so Telegram does not resend it forever.
 */
import type { FastifyInstance } from "fastify";
import { webhookCallback, type Bot } from "grammy";
import type { Logger } from "../src/logger";
import type { BotContext } from "./context";

export interface WebhookOptions {
  url: string;
  secret: string;
}

export async function mountWebhook(app: FastifyInstance, bot: Bot<BotContext>, options: WebhookOptions, log: Logger): Promise<void> {
  const handle = webhookCallback(bot, "fastify", { secretToken: options.secret, onTimeout: "return", timeoutMilliseconds: 9_000 });
  app.post(new URL(options.url).pathname, { schema: { hide: true } }, async (request, reply) => {
    const body = request.body as { update_id?: unknown } | null;
    if (request.headers["x-telegram-bot-api-secret-token"] === options.secret && (typeof body !== "object" || body === null || typeof body.update_id !== "number")) {
      log.warn({ body_type: typeof body }, "malformed Telegram update dropped");
      return reply.code(200).send({ ok: true });
    }
    try {
      return await handle(request, reply);
    } catch (error) {
      log.error({ err: error }, "Telegram webhook update failed");
      return reply.code(200).send({ ok: true });
    }
  });
}

/** Tells Telegram where to send updates (and with which secret). */
export async function registerWebhook(bot: Bot<BotContext>, options: WebhookOptions): Promise<void> {
  await bot.api.setWebhook(options.url, { secret_token: options.secret, drop_pending_updates: false });
}
