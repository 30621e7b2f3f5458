/**
 * `npm run bench:bot`: the Telegram bot itself. 1,000 chats, 10 messages each
 * (10,000 in all), each chat writing its next message when the previous answer
 * arrives, as people do. Updates go through the fake Bot API's getUpdates to
 * grammY (runner, long polling) → offline agent → SQLite → reply to the fake,
 * with the Telegram rate limit lifted so it measures the bot, not Telegram's cap.
 * Handling time is from getUpdates handing the update to the bot to its reply
 * arriving; round trip adds the wait in the fake's queue (1,000 people typing at once).
 * Prints a summary to stderr and one JSON object as the last line of stdout.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { buildProspecta } from "../../src/prospecta";
import { startFakeTelegram } from "../fakes/telegram-bot-api";

const CHATS = Number(process.env.BENCH_CHATS ?? 1000);
const PER_CHAT = Number(process.env.BENCH_MESSAGES_PER_CHAT ?? 10);
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

const telegram = await startFakeTelegram();
const dir = mkdtempSync(join(tmpdir(), "prospecta-bench-bot-"));
const prospecta = await buildProspecta(
  loadConfig({
    DATABASE_URL: join(dir, "bench.db"),
    ADMIN_API_TOKEN: "bench-token-0123456789",
    LOG_LEVEL: "silent",
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_MAX_PER_SECOND: "0",
    QUIET_HOURS: "",
  }),
  { seedSamples: false },
);
await prospecta.startBot();

const latencies: number[] = [];
const roundTrips: number[] = [];
const sentAt = new Map<number, { at: number; updateId: number }>();
const progress = new Map<number, number>();
let done = 0;
let finish: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (finish = resolve));

function send(chatId: number) {
  const step = progress.get(chatId) ?? 0;
  progress.set(chatId, step + 1);
  const at = performance.now();
  const updateId = telegram.userSays({ id: chatId, first_name: `Lead${chatId}` }, SCRIPT[step % SCRIPT.length]!);
  sentAt.set(chatId, { at, updateId });
}

// The reply to a chat's message is its first delivery after sending; the rest (a slot offer) is ignored.
telegram.onDelivered((message) => {
  const sent = sentAt.get(message.chat_id);
  if (sent === undefined) return;
  sentAt.delete(message.chat_id);
  const now = performance.now();
  roundTrips.push(now - sent.at);
  latencies.push(now - (telegram.servedAt(sent.updateId) ?? sent.at));
  if (++done === CHATS * PER_CHAT) return finish();
  if ((progress.get(message.chat_id) ?? 0) < PER_CHAT) send(message.chat_id);
});

const started = performance.now();
for (let chat = 1; chat <= CHATS; chat++) send(10_000_000 + chat);
await finished;
const elapsed = performance.now() - started;

const peakRssMb = process.resourceUsage().maxRSS / 1024;
await prospecta.close();
await telegram.close();
rmSync(dir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
roundTrips.sort((a, b) => a - b);
const quantile = (values: number[], q: number) => Math.round(values[Math.min(values.length - 1, Math.floor(q * values.length))]! * 100) / 100;
const at = (q: number) => quantile(latencies, q);
const perSecond = Math.round((done / elapsed) * 1000);
const result = {
  chats: CHATS,
  messages: done,
  elapsed_ms: Math.round(elapsed),
  messages_per_second: perSecond,
  handling_ms: { p50: at(0.5), p95: at(0.95), p99: at(0.99) },
  round_trip_ms: { p50: quantile(roundTrips, 0.5), p99: quantile(roundTrips, 0.99) },
  peak_rss_mb: Math.round(peakRssMb),
  targets: { messages_per_second: 500, p99_ms: 50 },
  met: { messages_per_second: perSecond >= 500, p99: at(0.99) < 50 },
  node: process.version,
  cpus: cpus().length,
};
console.error(`${done} messages from ${CHATS} chats in ${result.elapsed_ms} ms = ${perSecond} msg/s; handling p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms`);
console.log(JSON.stringify(result));
