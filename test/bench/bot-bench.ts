/**
 * `npm run bench:bot [-- --database sqlite|postgres]`: the Telegram bot as its
 * leads meet it. The product runs as `npm start` runs it, in its own process
 * (bench-product.ts), long polling the fake Telegram Bot API, which runs in a
 * third process (offline agent, Telegram's rate limit lifted so it measures
 * the bot, not Telegram's cap); on SQLite and on PostgreSQL (both by default
 * when PostgreSQL is installed). Every chat is new to the product. A user's
 * message is a `say` to the fake (which queues it for getUpdates); its effect
 * is the bot's reply delivered at the fake.
 *
 * First a probe chat writes the script slowly, to learn how many replies each
 * step gets (and to warm the product up): a message is answered at its first
 * reply and done at its last.
 * 1. Throughput: BENCH_CHATS (2,500) new chats, BENCH_MESSAGES_PER_CHAT (4)
 *    messages each (10,000), all queued at the fake at once, in a shuffled order
 *    that keeps each chat's own order (so first messages, which create leads,
 *    are spread through the run). Messages answered per second end to end, from
 *    the queueing to the last reply; the product's CPU (all its processes) and
 *    peak RSS. Latency here is queueing behind the other messages, reported apart.
 * 2. Latency: BENCH_PACED_MESSAGES (5,000) messages offered open-loop at half the
 *    measured throughput (or BENCH_RATE), from as many other new chats: each slot
 *    goes to the first chat not waiting for an answer, so a chat writes its next
 *    message once answered and new chats join as others finish (one message in
 *    BENCH_MESSAGES_PER_CHAT is a new chat's first). Per message: from the update
 *    being handed to the bot by getUpdates (served_at, the bot's own handling
 *    time) to its reply delivered, and from the user's send.
 * The product's CPU is user + system time of its processes (GC threads included,
 * so it can pass 100% of a core); on PostgreSQL the server's own CPU per message
 * is read too (database-server.ts). BENCH_CPU_PROF_DIR=<dir>: the product writes
 * a V8 CPU profile there as it exits; BENCH_SAMPLES_FILE=<file>: phase 2's
 * [served_at, ms, step] per message; BENCH_PRODUCT_ENV / BENCH_PRODUCT_NODE_OPTIONS:
 * see product-instrumentation.ts.
 * Prints a summary to stderr and one JSON object, carrying every database, as the
 * last line of stdout; exits non-zero only when a run could not complete, never
 * for a missed target.
 */
import { writeFileSync } from "node:fs";
import { benchDatabases, latencyOf, openBenchStore, startBenchProduct, stopBenchProduct, type BenchDatabase, type Latency } from "./bench-product";
import { startFakeTelegramProcess, type FakeTelegramProcess } from "./bench-setup";
import { databaseServerCpuSeconds } from "./database-server";
import { loadAverageNow, machineFacts } from "./machine";
import { readProcessTree } from "./process-stats";

const CHATS = Number(process.env.BENCH_CHATS ?? 2500);
const PER_CHAT = Number(process.env.BENCH_MESSAGES_PER_CHAT ?? 4);
const PACED = Number(process.env.BENCH_PACED_MESSAGES ?? 5000);
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : null;
const TOKEN = "777:BENCH-BOT";
const STALL_MS = 20_000;
const TARGETS = { messages_per_second: 500, p99_ms: 50, peak_rss_mb: 300 };
/** A lead's first messages: a deep link from an ad, then the profile, one fact at a time. */
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
// Chat ids per part of the run, far apart: no chat is ever reused, so every chat starts as a new lead.
const PROBE_CHAT = 9_000_000;
const SATURATION_BASE = 10_000_000;
const PACED_BASE = 20_000_000;

const epochNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** mulberry32: a small seeded PRNG, so every run queues the same order. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Delivery {
  type: "delivered";
  chat_id: number;
  delivered_at: number;
  served_at: number | null;
}

/** The fake's deliveries, by chat: each chat's replies counted, and a listener per part of the run. */
function deliveries(fake: FakeTelegramProcess) {
  let listener: ((delivery: Delivery) => void) | null = null;
  fake.child.on("message", (message: { type: string }) => {
    if (message.type === "delivered") listener?.(message as Delivery);
  });
  return {
    listen: (next: ((delivery: Delivery) => void) | null) => void (listener = next),
    say: (chatId: number, step: number) => fake.child.send({ type: "say", chatId, text: SCRIPT[step % SCRIPT.length] }),
  };
}
type Wire = ReturnType<typeof deliveries>;

/** One chat writes every step and waits for its replies to stop coming: the replies each step gets, cumulative. */
async function probe(wire: Wire): Promise<number[]> {
  let replies = 0;
  wire.listen((delivery) => {
    if (delivery.chat_id === PROBE_CHAT) replies++;
  });
  const cumulative: number[] = [];
  for (let step = 0; step < PER_CHAT; step++) {
    const before = replies;
    wire.say(PROBE_CHAT, step);
    let seen = before;
    let quietSince = performance.now();
    for (const deadline = performance.now() + 15_000; performance.now() < deadline; await sleep(20)) {
      if (replies !== seen) [seen, quietSince] = [replies, performance.now()];
      else if (seen > before && performance.now() - quietSince > 300) break;
    }
    if (seen === before) throw new Error(`probe: no reply to step ${step} ("${SCRIPT[step % SCRIPT.length]}")`);
    cumulative.push(seen);
  }
  wire.listen(null);
  return cumulative;
}

/** Waits until `isDone`, failing when nothing new came for STALL_MS. */
async function drain(progress: () => number, isDone: () => boolean): Promise<boolean> {
  let last = progress();
  let lastChange = performance.now();
  while (!isDone()) {
    await sleep(10);
    if (progress() !== last) [last, lastChange] = [progress(), performance.now()];
    else if (performance.now() - lastChange > STALL_MS) return false;
  }
  return true;
}

const productCpu = (pid: number) => readProcessTree(pid).reduce((sum, p) => sum + p.cpuSeconds, 0);
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Phase 1: every message queued at once, in a shuffled order that keeps each chat's own. */
async function saturate(wire: Wire, repliesAfter: number[], pids: { product: number; fake: number }, serverCpu: () => Promise<number | null>) {
  const order: number[] = [];
  const left = Array.from({ length: CHATS }, () => PER_CHAT);
  const open = Array.from({ length: CHATS }, (_, i) => i);
  const rand = random(7);
  while (open.length) {
    const at = Math.floor(rand() * open.length);
    const chat = open[at]!;
    order.push(chat);
    if (--left[chat]! === 0) open.splice(at, 1);
  }
  const replies = new Int32Array(CHATS);
  const answered: number[] = []; // epoch ms of each message's first reply
  let done = 0; // messages whose every reply arrived
  const total = CHATS * PER_CHAT;
  const firstReplyAt = new Set(repliesAfter.map((n, step) => (step === 0 ? 1 : repliesAfter[step - 1]! + 1)));
  const lastReplyAt = new Set(repliesAfter);
  wire.listen((delivery) => {
    const chat = delivery.chat_id - SATURATION_BASE;
    if (chat < 0 || chat >= CHATS) return;
    const count = ++replies[chat]!;
    if (firstReplyAt.has(count)) answered.push(delivery.delivered_at);
    if (lastReplyAt.has(count)) done++;
  });
  const steps = new Int32Array(CHATS);
  const cpuBefore = productCpu(pids.product);
  const fakeCpuBefore = productCpu(pids.fake);
  const serverBefore = await serverCpu();
  const startedAt = epochNow();
  for (const chat of order) wire.say(SATURATION_BASE + chat, steps[chat]!++);
  const complete = await drain(() => done, () => done === total);
  wire.listen(null);
  const elapsedMs = (answered.length ? Math.max(...answered) : epochNow()) - startedAt;
  const cpuSeconds = productCpu(pids.product) - cpuBefore;
  const serverSeconds = serverBefore === null ? null : (await serverCpu())! - serverBefore;
  const tree = readProcessTree(pids.product);
  return {
    complete,
    chats: CHATS,
    messages: total,
    answered: answered.length,
    elapsed_ms: Math.round(elapsedMs),
    messages_per_second: Math.round((answered.length / elapsedMs) * 1000),
    /** From the queueing of all messages to each one's first reply: queueing behind the others, not handling. */
    queued_to_answer: latencyOf(answered.map((at) => at - startedAt)),
    product_cpu_seconds: round(cpuSeconds),
    product_cpu_percent: Math.round((cpuSeconds / (elapsedMs / 1000)) * 100),
    product_cpu_ms_per_message: round((cpuSeconds * 1000) / Math.max(1, answered.length)),
    ...(serverSeconds !== null && { database_server_cpu_ms_per_message: round((serverSeconds * 1000) / Math.max(1, answered.length)) }),
    fake_cpu_percent: Math.round(((productCpu(pids.fake) - fakeCpuBefore) / (elapsedMs / 1000)) * 100),
    product_rss_mb_after: Math.round(tree.reduce((sum, p) => sum + p.rssMb, 0)),
  };
}

/** Phase 2: messages offered at `rate`, each to the first chat not waiting for an answer. */
async function pace(wire: Wire, repliesAfter: number[], rate: number, pids: { product: number }, serverCpu: () => Promise<number | null>) {
  interface PacedChat { step: number; replies: number; waiting: boolean; sentAt: number; answered: boolean }
  const chats: PacedChat[] = [];
  const handling: number[] = [];
  const fromSend: number[] = [];
  const timeline: [number, number, number][] = [];
  let done = 0;
  wire.listen((delivery) => {
    const chat = chats[delivery.chat_id - PACED_BASE];
    if (!chat?.waiting) return;
    chat.replies++;
    if (!chat.answered) {
      chat.answered = true;
      fromSend.push(delivery.delivered_at - chat.sentAt);
      if (delivery.served_at !== null) {
        handling.push(delivery.delivered_at - delivery.served_at);
        timeline.push([Math.round(delivery.served_at), round(delivery.delivered_at - delivery.served_at), chat.step]);
      }
    }
    if (chat.replies >= repliesAfter[chat.step - 1]!) {
      chat.waiting = false;
      done++;
    }
  });
  let offered = 0;
  let firstFree = 0; // chats below it have written their whole script
  const cpuBefore = productCpu(pids.product);
  const serverBefore = await serverCpu();
  const started = performance.now();
  while (offered < PACED) {
    while (chats[firstFree] && chats[firstFree]!.step >= PER_CHAT && !chats[firstFree]!.waiting) firstFree++;
    let index = firstFree;
    while (chats[index] && (chats[index]!.waiting || chats[index]!.step >= PER_CHAT)) index++;
    const chat = (chats[index] ??= { step: 0, replies: 0, waiting: false, sentAt: 0, answered: false });
    chat.waiting = true;
    chat.answered = false;
    chat.sentAt = epochNow();
    wire.say(PACED_BASE + index, chat.step++);
    offered++;
    const wait = started + (offered * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const offeringMs = performance.now() - started;
  const complete = await drain(() => done, () => done === offered);
  wire.listen(null);
  const cpuSeconds = productCpu(pids.product) - cpuBefore;
  const serverSeconds = serverBefore === null ? null : (await serverCpu())! - serverBefore;
  const seconds = (performance.now() - started) / 1000;
  // BENCH_SAMPLES_FILE: each message's [served_at, handling ms, step of the script], to see when and where the slow ones happen.
  if (process.env.BENCH_SAMPLES_FILE) writeFileSync(process.env.BENCH_SAMPLES_FILE, JSON.stringify(timeline));
  return {
    complete,
    offered_per_second: rate,
    achieved_per_second: Math.round((offered / offeringMs) * 1000),
    messages: offered,
    new_chats: chats.length,
    /** From getUpdates handing the update to the bot to its first reply delivered: the bot's own time. */
    handling: latencyOf(handling),
    /** From the user's send (the bench's `say`) to the first reply: adds the wait for the next long poll. */
    from_send: latencyOf(fromSend),
    product_cpu_percent: Math.round((cpuSeconds / seconds) * 100),
    product_cpu_ms_per_message: round((cpuSeconds * 1000) / Math.max(1, offered)),
    ...(serverSeconds !== null && { database_server_cpu_ms_per_message: round((serverSeconds * 1000) / Math.max(1, offered)) }),
  };
}

async function runOn(kind: BenchDatabase) {
  const store = await openBenchStore(kind, "bot");
  const fake = await startFakeTelegramProcess(TOKEN);
  try {
    const product = await startBenchProduct(store, {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_MAX_PER_SECOND: "0",
    });
    const pid = product.child.pid!;
    const pids = { product: pid, fake: fake.child.pid! };
    try {
      const rssAfterStart = Math.round(readProcessTree(pid).reduce((sum, p) => sum + p.rssMb, 0));
      const wire = deliveries(fake);
      const repliesAfter = await probe(wire);
      const serverCpu = () => databaseServerCpuSeconds(store);
      const saturation = await saturate(wire, repliesAfter, pids, serverCpu);
      console.error(
        `[${kind}] throughput: ${saturation.answered} of ${saturation.messages} messages from ${CHATS} new chats answered in ${saturation.elapsed_ms} ms = ` +
          `${saturation.messages_per_second} msg/s (product CPU ${saturation.product_cpu_percent}% of a core, ${saturation.product_cpu_ms_per_message} ms per message` +
          `${saturation.database_server_cpu_ms_per_message === undefined ? "" : `, PostgreSQL ${saturation.database_server_cpu_ms_per_message} ms`}; fake ${saturation.fake_cpu_percent}%)`,
      );
      const rate = RATE ?? Math.max(10, Math.round(saturation.messages_per_second / 2));
      const paced = await pace(wire, repliesAfter, rate, pids, serverCpu);
      console.error(
        `[${kind}] at ${rate} msg/s offered (${paced.new_chats} new chats): served → reply p50 ${paced.handling.p50_ms} ms, p95 ${paced.handling.p95_ms} ms, ` +
          `p99 ${paced.handling.p99_ms} ms; from the user's send p50 ${paced.from_send.p50_ms} ms, p99 ${paced.from_send.p99_ms} ms (product CPU ${paced.product_cpu_percent}%)`,
      );
      const peakRssMb = Math.round(Math.max(0, ...readProcessTree(pid).map((p) => p.peakRssMb)));
      console.error(`[${kind}] product RSS ${rssAfterStart} MB after start, peak ${peakRssMb} MB`);
      const met = {
        messages_per_second: saturation.messages_per_second >= TARGETS.messages_per_second,
        p99: paced.handling.p99_ms < TARGETS.p99_ms,
        peak_rss: peakRssMb < TARGETS.peak_rss_mb,
      };
      return { replies_per_step: repliesAfter.map((n, i) => n - (repliesAfter[i - 1] ?? 0)), saturation, paced, product_rss_mb_after_start: rssAfterStart, product_peak_rss_mb: peakRssMb, met };
    } finally {
      await stopBenchProduct(product, kind);
    }
  } finally {
    fake.child.kill("SIGTERM");
    await store.cleanUp();
  }
}

const databases = benchDatabases();
const loadBefore = loadAverageNow();
const results: Partial<Record<BenchDatabase, Awaited<ReturnType<typeof runOn>> & { load_average_before: number }>> = {};
let failed = false;
try {
  for (const kind of databases) {
    const loadAverage = loadAverageNow();
    const result = await runOn(kind);
    results[kind] = { ...result, load_average_before: loadAverage };
    if (!result.saturation.complete || !result.paced.complete) failed = true;
  }
  const handling = (kind: BenchDatabase): Latency | undefined => results[kind]?.paced.handling;
  console.log(
    JSON.stringify({
      ...results,
      chats: CHATS,
      messages_per_chat: PER_CHAT,
      paced_messages: PACED,
      targets: TARGETS,
      summary: Object.fromEntries(
        databases.map((kind) => [kind, { messages_per_second: results[kind]?.saturation.messages_per_second, p99_ms: handling(kind)?.p99_ms, peak_rss_mb: results[kind]?.product_peak_rss_mb }]),
      ),
      ...machineFacts(loadBefore),
    }),
  );
} catch (error) {
  console.error(error);
  failed = true;
}
process.exit(failed ? 1 : 0);
