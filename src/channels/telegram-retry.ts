/**
 * The one retry policy for every Telegram call of the process (bot replies,
 * campaigns, reminders, admin notices), as a grammY API transformer.
 *
 * Only what certainly did not reach Telegram is sent again: a 429 (after its
 * retry_after), a 5xx, or a connection that was never made (refused, no DNS,
 * no route). A network error once the request may have been written (reset,
 * timeout, any other) is thrown at once: Telegram may have the message, and a
 * second send would duplicate it. Attempts are bounded in total, first included.
 */
import { HttpError, type Transformer } from "grammy";
import { neverReachedServer } from "./delivery-errors";

export interface TelegramRetryOptions {
  /** Attempts per call in total, the first included (CAMPAIGN_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Wait before the second attempt; doubles with each further one (429s wait retry_after instead). */
  baseDelayMs: number;
  /** The longest retry_after we wait for; a longer one comes back as the 429 it is. */
  maxRetryAfterSeconds: number;
  /** Told before each wait, for a log line (method and codes only: the payload carries personal data). */
  onRetry?: (retry: { method: string; attempt: number; waitMs: number; reason: string }) => void;
}

/**
 * Where the retry layer leaves how many attempts a call took, on the payload
 * object the caller passed (a symbol key: JSON bodies and form uploads ignore it).
 */
export const TELEGRAM_ATTEMPTS = Symbol("telegram attempts");

/** How many attempts the retry layer made for a payload sent through `api.raw`. */
export function attemptsMade(payload: object): number {
  return (payload as { [TELEGRAM_ATTEMPTS]?: number })[TELEGRAM_ATTEMPTS] ?? 1;
}

/** True when the error proves the request never reached Telegram (grammY wraps what fetch threw in HttpError.error). */
export const neverReachedTelegram = (error: unknown): boolean => neverReachedServer(error);

/** The network code of an HttpError for logs and review texts ("ECONNRESET", "timeout"); never its message's URL, which holds the token. */
export function networkCode(error: HttpError): string {
  const inner = error.error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = inner?.code ?? inner?.cause?.code;
  if (typeof code === "string") return code;
  return /timed out/i.test(String((error.error as Error | undefined)?.message)) ? "timeout" : "network";
}

export function telegramRetry(options: TelegramRetryOptions): Transformer {
  const backoff = (attempt: number) => options.baseDelayMs * 2 ** (attempt - 1);
  return async (prev, method, payload, signal) => {
    // The runner's getUpdates loop has its own backoff, and stop() aborts it; a second layer would only delay that.
    if (method === "getUpdates") return prev(method, payload, signal);
    for (let attempt = 1; ; attempt++) {
      if (payload && typeof payload === "object") (payload as { [TELEGRAM_ATTEMPTS]?: number })[TELEGRAM_ATTEMPTS] = attempt;
      const last = attempt >= options.maxAttempts;
      let waitMs: number;
      let reason: string;
      try {
        const result = await prev(method, payload, signal);
        if (result.ok || last) return result;
        const retryAfter = result.parameters?.retry_after;
        if (result.error_code === 429 && typeof retryAfter === "number") {
          if (retryAfter > options.maxRetryAfterSeconds) return result;
          waitMs = retryAfter * 1000;
        } else if (result.error_code === 429 || result.error_code >= 500) {
          waitMs = backoff(attempt);
        } else {
          return result;
        }
        reason = String(result.error_code);
      } catch (error) {
        if (last || signal?.aborted || !(error instanceof HttpError) || !neverReachedTelegram(error.error)) throw error;
        waitMs = backoff(attempt);
        reason = networkCode(error);
      }
      options.onRetry?.({ method, attempt, waitMs, reason });
      await pause(waitMs, signal);
    }
  };
}

/** grammY's own AbortSignal type (abort-controller's), not the DOM one. */
type CallSignal = Parameters<Transformer>[3];

function pause(ms: number, signal: CallSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      reject(new Error("Telegram call aborted while waiting to retry"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", abort);
  });
}
