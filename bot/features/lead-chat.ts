/** Every other message from a lead goes to the chat core: text, a shared venue, or an attachment it cannot read. */
import { Composer } from "grammy";
import { chatIdentity, type BotContext } from "../context";
import type { BotDeps } from "../deps";

/** A Telegram message's id for the chat core: message ids count per chat, so the chat is part of it. */
function messageIdOf(ctx: BotContext): string | null {
  return ctx.chat && ctx.message ? `${ctx.chat.id}:${ctx.message.message_id}` : null;
}

export function leadChatFeature({ chat, telegramChannel }: BotDeps) {
  const feature = new Composer<BotContext>();
  feature.on("message:text", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity || ctx.message.text.startsWith("/")) return;
    await chat.receiveText(telegramChannel, identity, ctx.message.text, messageIdOf(ctx));
  });
  feature.on("message:venue", async (ctx) => {
    const identity = chatIdentity(ctx);
    if (!identity) return;
    const { title, address } = ctx.message.venue;
    await chat.receiveLocation(telegramChannel, identity, { label: title, address }, messageIdOf(ctx));
  });
  feature.on(["message:voice", "message:audio", "message:photo", "message:video", "message:document", "message:sticker", "message:location"], async (ctx) => {
    const identity = chatIdentity(ctx);
    if (identity) await chat.receiveUnsupported(telegramChannel, identity, messageIdOf(ctx));
  });
  return feature;
}
