/**
 * How the runner (long polling, @grammyjs/runner) feeds the bot: how many
 * updates are handled at once. Its default, 500, suits turns that wait on a
 * model for seconds. The offline agent answers at once, so an update's time
 * is the product's own CPU and the database's: past a few dozen at once they
 * only wait in the database's queue, holding their objects across garbage
 * collections (bench:bot, 10,000 messages queued at once: 500 at once cost
 * about a fifth more CPU per message than 32–64, in scavenges of objects that
 * lived too long, and peaked 80–100 MB higher).
 */
import type { RunOptions } from "@grammyjs/runner";
import type { Update } from "grammy/types";

/** Updates handled at once with the offline agent. */
export const OFFLINE_CONCURRENCY = 64;

export function botRunnerOptions(agentKind: "offline" | "openai"): RunOptions<Update> {
  return agentKind === "offline" ? { sink: { concurrency: OFFLINE_CONCURRENCY } } : {};
}
