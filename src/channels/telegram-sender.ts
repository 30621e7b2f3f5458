/**
 * Sends text to a Telegram chat through grammY's API client, within Telegram's
 * limits (throttler: TELEGRAM_MAX_PER_SECOND overall, 1 message/s per chat) and
 * retrying what Telegram asks us to retry (auto-retry: 429 retry_after, 5xx).
 * Errors come out classified: permanent (the user blocked the bot, the chat is
 * gone) or transient (try again later).
 */
import { autoRetry } from "@grammyjs/auto-retry";
import { apiThrottler } from "@grammyjs/transformer-throttler";
import { Api, GrammyError, HttpError } from "grammy";

export interface TelegramSenderOptions {
  token: string;
  apiRoot: string;
  /** Overall messages per second; 0 lifts the limit (self-hosted Bot API, benchmarks). */
  maxPerSecond: number;
  /** How many times auto-retry repeats a 429/5xx before giving up. */
  maxRetries: number;
  /** The longest retry_after we are willing to wait inside one step. */
  maxRetryAfterSeconds?: number;
  timeoutSeconds?: number;
}

export interface SentMessage {
  message_id: number;
}

export interface TextSender {
  sendText(chatId: number, text: string): Promise<SentMessage>;
}

/** Delivery failed and will fail again. `chatUnreachable`: the chat itself is gone or blocked us. */
export class PermanentDeliveryError extends Error {
  override name = "PermanentDeliveryError";
  constructor(
    message: string,
    readonly chatUnreachable: boolean,
  ) {
    super(message);
  }
}

/** Delivery failed for now (rate limit, server or network trouble). */
export class TransientDeliveryError extends Error {
  override name = "TransientDeliveryError";
}

export function createTelegramSender(options: TelegramSenderOptions): TextSender & { api: Api } {
  const api = new Api(options.token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds ?? 30 });
  installTelegramLimits(api, options);

  return {
    api,
    async sendText(chatId, text) {
      try {
        const message = await api.sendMessage(chatId, text);
        return { message_id: message.message_id };
      } catch (error) {
        throw classifyTelegramError(error);
      }
    },
  };
}

/**
 * Telegram's limits on any grammY Api (the campaign sender's and the bot's):
 * auto-retry for 429 retry_after and 5xx, then the throttler. Order matters:
 * the throttler is installed last so it runs first, and retries go back through it.
 */
export function installTelegramLimits(api: Api, options: Pick<TelegramSenderOptions, "maxPerSecond" | "maxRetries" | "maxRetryAfterSeconds">): void {
  api.config.use(
    autoRetry({
      maxRetryAttempts: options.maxRetries,
      maxDelaySeconds: options.maxRetryAfterSeconds ?? 120,
      // A network error may hide a message that did arrive: the caller decides, not a blind resend.
      rethrowHttpErrors: true,
    }),
  );
  if (options.maxPerSecond > 0) {
    api.config.use(
      apiThrottler({
        global: { reservoir: options.maxPerSecond, reservoirRefreshAmount: options.maxPerSecond, reservoirRefreshInterval: 1000 },
        out: { maxConcurrent: 1, minTime: 1000 },
      }),
    );
  }
}

export function classifyTelegramError(error: unknown): Error {
  if (error instanceof GrammyError) {
    const description = `Telegram ${error.error_code}: ${error.description}`;
    if (error.error_code === 403 || (error.error_code === 400 && /chat not found|user is deactivated|PEER_ID_INVALID/i.test(error.description))) {
      return new PermanentDeliveryError(description, true);
    }
    if (error.error_code === 429 || error.error_code >= 500) return new TransientDeliveryError(description);
    return new PermanentDeliveryError(description, false);
  }
  if (error instanceof HttpError) return new TransientDeliveryError(`Red: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}
