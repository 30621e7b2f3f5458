/**
 * Runs the fake Telegram Bot API as its own process, so benchmarks keep its CPU
 * and memory apart from the product's. Prints {apiRoot, token} on its first
 * line; over IPC it takes {type: "say", chatId, text} (a user writes) and
 * "count", and reports every delivery as {type: "delivered", chat_id,
 * delivered_at, served_at} with epoch-millisecond times (served_at: when the
 * chat's latest update was handed to the bot).
 */
import { startFakeTelegram } from "./telegram-bot-api";

const epochNow = () => performance.timeOrigin + performance.now();
const fake = await startFakeTelegram(process.argv[2]);
const latestUpdate = new Map<number, number>();
const toEpoch = (at: number | undefined) => (at === undefined ? null : performance.timeOrigin + at);

fake.onDelivered((message) => {
  const updateId = latestUpdate.get(message.chat_id);
  process.send?.({ type: "delivered", chat_id: message.chat_id, delivered_at: epochNow(), served_at: updateId === undefined ? null : toEpoch(fake.servedAt(updateId)) });
});
process.on("message", (message: { type?: string; chatId?: number; text?: string } | string) => {
  if (message === "count") return void process.send?.({ type: "count", delivered: fake.delivered().length });
  if (typeof message === "object" && message.type === "say" && message.chatId !== undefined) {
    latestUpdate.set(message.chatId, fake.userSays({ id: message.chatId, first_name: `Lead${message.chatId}` }, message.text ?? ""));
  }
});
process.stdout.write(`${JSON.stringify({ apiRoot: fake.apiRoot, token: fake.token })}\n`);
process.once("SIGTERM", () => void fake.close().then(() => process.exit(0)));
