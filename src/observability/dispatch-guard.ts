/**
 * The one guard every inbound dispatch runs behind: each Media Streams frame,
 * Realtime event, webhook, bot update and scheduled job. An exception in one
 * handler is logged (ids only, never the payload) and counted by surface, and
 * the call, update or job it belonged to goes on. Nothing from outside can
 * reach an uncaught exception through a guarded handler.
 */
import type { Logger } from "../logger";

export type Surface =
  | "media_stream"
  | "realtime"
  | "voice_tool"
  | "twilio_webhook"
  | "telegram_update"
  | "telegram_webhook"
  | "whatsapp_webhook"
  | "scheduled_job"
  /** A promise nobody awaited rejected: a bug to fix, logged and counted instead of ending the process. */
  | "unhandled_rejection";

export interface FailureCounter {
  /** One handler failed on this surface (prospecta_handler_failures_total). */
  count(surface: Surface): void;
}

export interface DispatchGuard {
  /** Runs one handler; a throw or a rejected promise is logged with `context` and counted, never rethrown. */
  run(surface: Surface, context: Record<string, unknown>, handler: () => unknown): void;
  /** For places that already catch (grammY's error boundary, the scheduler): log and count in the same way. */
  failed(surface: Surface, context: Record<string, unknown>, error: unknown): void;
}

export function createDispatchGuard(log: Logger, counter: FailureCounter = { count: () => undefined }): DispatchGuard {
  const failed: DispatchGuard["failed"] = (surface, context, error) => {
    counter.count(surface);
    log.error({ err: error, surface, ...context }, "inbound handler failed; skipped");
  };
  return {
    failed,
    run(surface, context, handler) {
      try {
        const result = handler();
        if (result instanceof Promise) result.catch((error: unknown) => failed(surface, context, error));
      } catch (error) {
        failed(surface, context, error);
      }
    },
  };
}
