/**
 * Telegram's limits, installed once on the process's one grammY Api: a
 * throttler (TELEGRAM_MAX_PER_SECOND overall, 1 message/s per chat; 0 lifts
 * it) and our retry layer (telegram-retry.ts). Two Apis would each get a
 * throttler and together exceed what Telegram allows.
 */
import { apiThrottler } from "@grammyjs/transformer-throttler";
import type { Api } from "grammy";
import type { Logger } from "../logger";
import { telegramRetry } from "./telegram-retry";

export interface TelegramLimitsOptions {
  /** Overall messages per second; 0 lifts the limit (self-hosted Bot API, benchmarks). */
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
  if (options.maxPerSecond > 0) {
    api.config.use(
      apiThrottler({
        global: { reservoir: options.maxPerSecond, reservoirRefreshAmount: options.maxPerSecond, reservoirRefreshInterval: 1000 },
        out: { maxConcurrent: 1, minTime: 1000 },
      }),
    );
  }
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
