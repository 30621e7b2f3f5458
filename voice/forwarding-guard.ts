/**
 * The live-audio process's dispatch guard: the contract of
 * src/observability/dispatch-guard.ts (a handler's throw or rejection never
 * escapes), but each failure goes to `forward`, which sends it to the product
 * process to be logged and counted there, with the product's own failures:
 * one metrics registry, one place to look.
 */
import type { DispatchGuard, Surface } from "../src/observability/dispatch-guard";

export function createForwardingGuard(forward: (surface: Surface, context: Record<string, unknown>, error: unknown) => void): DispatchGuard {
  return {
    failed: forward,
    run(surface, context, handler) {
      try {
        const result = handler();
        if (result instanceof Promise) result.catch((error: unknown) => forward(surface, context, error));
      } catch (error) {
        forward(surface, context, error);
      }
    },
  };
}
