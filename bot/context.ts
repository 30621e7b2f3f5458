import type { ConversationFlavor } from "@grammyjs/conversations";
import type { Context } from "grammy";
import type { ChatIdentity } from "../src/services/conversation-service";

export type BotContext = ConversationFlavor<Context>;

/** Who is writing, as the conversation service knows a chat. Only private chats are leads. */
export function chatIdentity(ctx: BotContext): ChatIdentity | null {
  if (ctx.chat?.type !== "private" || !ctx.from) return null;
  return { channel: "telegram", address: String(ctx.chat.id), username: ctx.from.username, firstName: ctx.from.first_name, lastName: ctx.from.last_name };
}
