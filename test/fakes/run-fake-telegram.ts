/** Runs the fake Telegram Bot API as its own process (benchmarks keep its CPU and memory apart); prints its apiRoot. */
import { startFakeTelegram } from "./telegram-bot-api";

const fake = await startFakeTelegram(process.argv[2]);
process.stdout.write(`${JSON.stringify({ apiRoot: fake.apiRoot, token: fake.token })}\n`);
process.on("message", (message) => {
  if (message === "count") process.send?.({ delivered: fake.delivered().length });
});
process.once("SIGTERM", () => void fake.close().then(() => process.exit(0)));
