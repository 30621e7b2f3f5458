/**
 * Telegram's limits, installed once on the process's one grammY Api: our
 * throttler (telegram-throttler.ts: TELEGRAM_MAX_PER_SECOND overall, 1
 * message/s per chat, 20/min per group, replies before bulk) and our retry
 * layer (telegram-retry.ts). Two Apis would each get a throttler and together
 * exceed what Telegram allows.
 *
 * TELEGRAM_MAX_PER_SECOND=0 lifts the whole throttler, the per-chat rules
 * included, as before: for a self-hosted Bot API server and for the
 * benchmarks, which measure the product without Telegram's pace.
 */
import type { Api } from "grammy";
import type { Logger } from "../logger";
import { telegramRetry } from "./telegram-retry";
import { telegramThrottler } from "./telegram-throttler";

export interface TelegramLimitsOptions {
  /** Overall messages per second; 0 lifts the throttler, per-chat rules included (self-hosted Bot API, benchmarks). */
  maxPerSecond: number;
  /** Attempts per call in total, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt of a 5xx or a refused connection; doubles after. */
  retryBaseMs: number;
  /** The longest retry_after we are willing to wait for. */
  maxRetryAfterSeconds?: number;
  log: Logger;
}

export function installTelegramLimits(api: Api, options: TelegramLimitsOptions): void {
  // grammY wraps the call made so far with each transformer it is given, so the
  // one installed last runs first. The throttler goes in first (inside) and the
  // retry layer last (outside): every retry is a new call through the
  // throttler, and counts against the limits like any other message.
  if (options.maxPerSecond > 0) api.config.use(telegramThrottler({ maxPerSecond: options.maxPerSecond }));
  api.config.use(
    telegramRetry({
      maxAttempts: options.maxAttempts,
      baseDelayMs: options.retryBaseMs,
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 120,
      onRetry: ({ method, attempt, waitMs, reason }) =>
        options.log.warn({ method, attempt, wait_ms: waitMs, reason }, "Telegram call not delivered, retrying"),
    }),
  );
}
