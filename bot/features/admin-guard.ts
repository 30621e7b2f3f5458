/** Admin commands exist only for the ids in TELEGRAM_ADMIN_IDS: for anyone else they fall through as plain text. */
import { Composer } from "grammy";
import type { BotContext } from "../context";

/** The feature to install (`feature`) and the branch only admins reach (`admin`), where commands go. */
export function adminOnly(adminIds: readonly number[]) {
  const allowed = new Set(adminIds);
  const feature = new Composer<BotContext>();
  const admin = feature.filter((ctx) => ctx.from !== undefined && allowed.has(ctx.from.id));
  return { feature, admin };
}

/** How an admin appears in history and audit rows. */
export function adminActor(ctx: BotContext): string {
  return `telegram:admin:${ctx.from?.id ?? "?"}`;
}
