/**
 * Inbound WhatsApp messages are handled one at a time per sender, so a
 * lead's messages keep their order, each behind the dispatch guard; different
 * senders run side by side. The webhook waits for its message up to a bound
 * (Twilio waits at most 15 s) and lets a slow one finish in the background.
 */
import type { DispatchGuard } from "../src/observability/dispatch-guard";

export function createInboundQueue(guard: DispatchGuard) {
  const tails = new Map<string, Promise<void>>();
  return {
    /** Runs `work` after everything queued before it for `sender`. */
    enqueue(sender: string, context: Record<string, unknown>, work: () => Promise<void>): Promise<void> {
      const previous = tails.get(sender) ?? Promise.resolve();
      const next = previous.then(
        () =>
          new Promise<void>((resolve) => {
            guard.run("whatsapp_webhook", context, () => work().finally(resolve));
          }),
      );
      tails.set(sender, next);
      void next.then(() => {
        if (tails.get(sender) === next) tails.delete(sender);
      });
      return next;
    },
    /** Resolves once everything queued so far was handled (tests, shutdown). */
    async idle(): Promise<void> {
      while (tails.size) await Promise.all([...tails.values()]);
    },
  };
}
