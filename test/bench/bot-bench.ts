/**
 * `npm run bench:bot`: the Telegram bot itself. Updates go through the fake Bot
 * API (its own process) by getUpdates to grammY (runner, long polling) →
 * offline agent → SQLite → reply to the fake, with the Telegram rate limit
 * lifted so it measures the bot, not Telegram's cap. Two phases:
 * 1. Throughput: 1,000 chats, 10 messages each (10,000), all at once, each chat
 *    writing its next message when the previous answer arrives. Latency here is
 *    mostly queueing behind the other 999 chats, so it is reported apart.
 * 2. Handling time: the same conversation from 1,000 new chats offered at half
 *    the measured throughput (an open loop below saturation): from getUpdates
 *    handing an update to the bot to its reply arriving.
 * Prints a summary to stderr and one JSON object as the last line of stdout.
 */
import { cpus } from "node:os";
import { buildBenchProspecta, startFakeTelegramProcess } from "./bench-setup";

const CHATS = Number(process.env.BENCH_CHATS ?? 1000);
const PER_CHAT = Number(process.env.BENCH_MESSAGES_PER_CHAT ?? 10);
const PACED = Number(process.env.BENCH_PACED_MESSAGES ?? 3000);
const SCRIPT = [
  "/start fb_ads",
  "Hola, busco un depa en la Roma o la Condesa",
  "de 2 recámaras",
  "unos 3.5 millones",
  "para comprar",
  "en 3 meses",
  "con crédito Infonavit",
  "gano unos 45 mil al mes",
  "tengo 300 mil de enganche",
  "¿tienen algo con estacionamiento?",
];

const telegram = await startFakeTelegramProcess("777:BENCH-BOT");
const fake = telegram.child;
const epochNow = () => performance.timeOrigin + performance.now();
const { prospecta, cleanUp } = await buildBenchProspecta("bot", telegram);
await prospecta.startBot();

type Delivery = { type: "delivered"; chat_id: number; delivered_at: number; served_at: number | null };
const listeners: ((delivery: Delivery) => void)[] = [];
fake.on("message", (message: { type: string }) => {
  if (message.type === "delivered") for (const listener of listeners) listener(message as Delivery);
});
const say = (chatId: number, step: number) => fake.send({ type: "say", chatId, text: SCRIPT[step % SCRIPT.length] });
const quantile = (values: number[], q: number) => Math.round(values[Math.min(values.length - 1, Math.floor(q * values.length))]! * 100) / 100;

// Phase 1: saturation. A chat's next message goes when the first answer to its last one arrives.
const saturated: number[] = [];
const roundTrips: number[] = [];
const waiting = new Map<number, number>();
const steps = new Map<number, number>();
let done = 0;
let finish: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (finish = resolve));
function send(chatId: number) {
  const step = steps.get(chatId) ?? 0;
  steps.set(chatId, step + 1);
  waiting.set(chatId, epochNow());
  say(chatId, step);
}
listeners.push((delivery) => {
  const sentAt = waiting.get(delivery.chat_id);
  if (sentAt === undefined || delivery.chat_id >= 20_000_000) return;
  waiting.delete(delivery.chat_id);
  roundTrips.push(delivery.delivered_at - sentAt);
  saturated.push(delivery.delivered_at - (delivery.served_at ?? sentAt));
  if (++done === CHATS * PER_CHAT) return finish();
  if ((steps.get(delivery.chat_id) ?? 0) < PER_CHAT) send(delivery.chat_id);
});
const started = performance.now();
for (let chat = 1; chat <= CHATS; chat++) send(10_000_000 + chat);
await finished;
const elapsed = performance.now() - started;
const perSecond = Math.round((done / elapsed) * 1000);

// Phase 2: open loop at half the throughput, each chat one message at a time.
const offeredRate = Math.max(10, Math.round(perSecond / 2));
const paced: number[] = [];
const pacedWaiting = new Set<number>();
const pacedSteps = new Map<number, number>();
let pacedDone = 0;
let pacedFinish: () => void = () => undefined;
const pacedFinished = new Promise<void>((resolve) => (pacedFinish = resolve));
listeners.push((delivery) => {
  if (!pacedWaiting.delete(delivery.chat_id) || delivery.served_at === null) return;
  paced.push(delivery.delivered_at - delivery.served_at);
  if (++pacedDone === PACED) pacedFinish();
});
let offered = 0;
let cursor = 0;
const pacedStart = performance.now();
while (offered < PACED) {
  const chatId = 20_000_000 + (cursor++ % CHATS);
  if (pacedWaiting.has(chatId)) continue; // that person is still waiting for an answer
  const step = pacedSteps.get(chatId) ?? 0;
  pacedSteps.set(chatId, step + 1);
  pacedWaiting.add(chatId);
  say(chatId, step);
  offered++;
  const wait = pacedStart + (offered * 1000) / offeredRate - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
await pacedFinished;

const peakRssMb = process.resourceUsage().maxRSS / 1024;
await cleanUp();
fake.kill("SIGTERM");

saturated.sort((a, b) => a - b);
roundTrips.sort((a, b) => a - b);
paced.sort((a, b) => a - b);
const result = {
  chats: CHATS,
  messages: done,
  elapsed_ms: Math.round(elapsed),
  messages_per_second: perSecond,
  saturated_ms: { handling_p50: quantile(saturated, 0.5), handling_p99: quantile(saturated, 0.99), round_trip_p50: quantile(roundTrips, 0.5), round_trip_p99: quantile(roundTrips, 0.99) },
  offered_per_second: offeredRate,
  handling_ms: { p50: quantile(paced, 0.5), p95: quantile(paced, 0.95), p99: quantile(paced, 0.99) },
  peak_rss_mb: Math.round(peakRssMb),
  targets: { messages_per_second: 500, p99_ms: 50 },
  met: { messages_per_second: perSecond >= 500, p99: quantile(paced, 0.99) < 50 },
  node: process.version,
  cpus: cpus().length,
};
console.error(`throughput: ${done} messages from ${CHATS} chats in ${result.elapsed_ms} ms = ${perSecond} msg/s`);
console.error(`handling at ${offeredRate} msg/s offered: p50 ${result.handling_ms.p50} ms, p95 ${result.handling_ms.p95} ms, p99 ${result.handling_ms.p99} ms`);
console.log(JSON.stringify(result));
