/**
 * The load side of `npm run bench:whatsapp`, in its own process: the fake
 * Twilio Messaging API and the people writing to the product through it.
 * Each message is a signed inbound webhook (what Twilio posts when a lead
 * writes); its effect is the product's reply reaching the fake
 * (Messages.json create). Both ends are timed on this process's clock.
 *
 * Before measuring, one probe number per conversation writes the whole script
 * slowly, to learn how many replies each step gets (a lead who qualifies gets
 * a reply and then the slots on offer, two messages): a message is answered at
 * its first reply and done at its last, and a person writes again only when
 * done, so a late second reply is never taken for the next message's answer.
 * The probe also warms the product up.
 *
 * Protocol over IPC: sends {type: "ready", apiBase, accountSid, authToken,
 * sender}; receives {type: "run", …RunOptions}; sends {type: "phase", name,
 * edge: "start" | "end"} around each measured phase (the bench reads the
 * product's CPU there) and then {type: "result", …}.
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startFakeTwilioMessaging } from "../fakes/twilio-messaging";
import { latencyOf } from "./bench-product";

export interface RunOptions {
  productUrl: string;
  /** The WEBHOOK_BASE_URL the product was given: what Twilio signs. */
  webhookBase: string;
  numbers: number;
  perNumber: number;
  seconds: number;
  concurrency: number;
  /** Offered rate of the paced phase; null: half the measured throughput. */
  rate: number | null;
}

/** Three leads as they write on WhatsApp: one pays cash and is offered slots, one needs Infonavit, one invests with a bank loan. */
const CONVERSATIONS = [
  [
    "Hola, vi su anuncio en Facebook. Busco casa en Zapopan",
    "De 3 recámaras y con jardín si se puede",
    "Traigo un presupuesto de 4 millones",
    "Es para vivir con mi familia, nos urge mudarnos en 2 meses",
    "Lo pagaría de contado",
    "¿Las casas tienen estacionamiento para 2 autos?",
    "Va, gracias",
  ],
  [
    "Buenas tardes, busco un depa en la Roma o la Condesa",
    "De 2 recámaras",
    "Mi presupuesto es de unos 3.5 millones",
    "Es para comprar, lo quiero en unos 3 meses",
    "Lo pagaría con crédito Infonavit",
    "Gano unos 45 mil al mes y tengo 300 mil de enganche",
    "¿Tienen algo con roof garden?",
  ],
  [
    "Hola! me pasan info del departamento en Polanco?",
    "Busco algo para invertir y rentarlo",
    "Hasta 6 millones",
    "Tengo crédito bancario preaprobado",
    "Mi ingreso es de 120 mil al mes",
    "Y de enganche tengo 1.5 millones",
    "¿Qué amenidades tiene?",
  ],
];
const BUSINESS = "+5215550001111";
const STALL_MS = 15_000;

interface Sample {
  postedAt: number;
  ackAt?: number;
  firstAt?: number;
  lastAt?: number;
  /** The person's reply count at which this message is done. */
  doneAt: number;
  /** Which message of the person's conversation this is (0 for the first). */
  step: number;
  done: () => void;
}
interface Person {
  number: string;
  conversation: number;
  step: number;
  replies: number;
  current: Sample | null;
}

const statusCallbacksOn = process.env.BENCH_STATUS_CALLBACKS !== "0";
// Callbacks off: they go to a sink here instead of the product, so the fake's work stays the same.
const sink = createServer((req, res) => req.resume().on("end", () => res.writeHead(204).end()));
await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

let run: RunOptions | undefined;
const fake = await startFakeTwilioMessaging({
  sender: BUSINESS,
  callbackDelayMs: Number(process.env.BENCH_CALLBACK_DELAY_MS ?? 200),
  routeWebhook: (url) => url.replace(run!.webhookBase, statusCallbacksOn ? run!.productUrl : sinkUrl),
});

const people = new Map<string, Person>();
let unexpectedReplies = 0;
let replyCount = 0;
// The fake records every accepted message in this array: watching its push times the create the moment it is accepted, without polling.
const record = fake.messages.push.bind(fake.messages);
fake.messages.push = (...created) => {
  const at = performance.now();
  for (const message of created) onReply(message.to, at);
  return record(...created);
};
function onReply(to: string, at: number): void {
  replyCount++;
  const person = people.get(to);
  const sample = person?.current;
  if (!person || !sample) return void unexpectedReplies++;
  person.replies++;
  sample.firstAt ??= at;
  if (person.replies < sample.doneAt) return;
  sample.lastAt = at;
  person.current = null;
  sample.done();
}

process.once("disconnect", () => process.exit(0)); // the bench is gone
process.send!({ type: "ready", apiBase: fake.apiBase, accountSid: fake.accountSid, authToken: fake.authToken, sender: BUSINESS });
run = await new Promise<RunOptions>((resolve) => process.once("message", (message) => resolve(message as RunOptions)));
const options = run;
const inbound = fake.inbound({ url: `${options.webhookBase}/whatsapp/incoming`, postTo: `${options.productUrl}/whatsapp/incoming` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const failures: string[] = [];

function person(number: string, conversation: number): Person {
  const created: Person = { number, conversation, step: 0, replies: 0, current: null };
  people.set(`whatsapp:${number}`, created);
  return created;
}

/** Cumulative replies after each step of each conversation, learned by the probe. */
const repliesAfter: number[][] = [];

/** The person writes their next message; resolves with its timings once every reply to it arrived. */
function say(who: Person): Promise<Sample> {
  const step = who.step++;
  const script = CONVERSATIONS[who.conversation]!;
  return new Promise<Sample>((resolve) => {
    const sample: Sample = { postedAt: performance.now(), doneAt: repliesAfter[who.conversation]![step]!, step, done: () => resolve(sample) };
    who.current = sample;
    void inbound.userSays(who.number, script[step % script.length]!).then((answer) => {
      sample.ackAt = performance.now();
      if (answer.status !== 200) failures.push(`webhook answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    });
  });
}

/** One number per conversation writes every step and waits for its replies to stop coming. */
async function probe(): Promise<void> {
  await Promise.all(
    CONVERSATIONS.map(async (_, conversation) => {
      const who = person(`+52155190000${String(conversation).padStart(2, "0")}`, conversation);
      const counts: number[] = [];
      for (let step = 0; step < options.perNumber; step++) {
        who.current = { postedAt: 0, doneAt: Infinity, step, done: () => undefined };
        const before = who.replies;
        const script = CONVERSATIONS[conversation]!;
        await inbound.userSays(who.number, script[step % script.length]!);
        let seen = before;
        let quietSince = performance.now();
        for (const deadline = performance.now() + 10_000; performance.now() < deadline; await sleep(20)) {
          if (who.replies !== seen) [seen, quietSince] = [who.replies, performance.now()];
          else if (seen > before && performance.now() - quietSince > 300) break;
        }
        if (seen === before) throw new Error(`probe: no reply to step ${step} of conversation ${conversation}`);
        counts.push(seen);
      }
      who.current = null;
      repliesAfter[conversation] = counts;
    }),
  );
  await fake.statusCallbacksIdle();
}

// The other benches' percentiles (latencyOf), in this bench's JSON shape: null when nothing was measured.
const quantiles = (values: number[]) => {
  if (values.length === 0) return { p50: null, p95: null, p99: null, max: null };
  const latency = latencyOf(values);
  return { p50: latency.p50_ms, p95: latency.p95_ms, p99: latency.p99_ms, max: latency.max_ms };
};
const summary = (samples: Sample[]) => ({
  first_reply_ms: quantiles(samples.map((s) => s.firstAt! - s.postedAt)),
  last_reply_ms: quantiles(samples.map((s) => s.lastAt! - s.postedAt)),
  webhook_answer_ms: quantiles(samples.filter((s) => s.ackAt !== undefined).map((s) => s.ackAt! - s.postedAt)),
});

/** Waits until `isDone`, failing when nothing was answered for STALL_MS. */
async function drain(completed: () => number, isDone: () => boolean): Promise<boolean> {
  let last = completed();
  let lastChange = performance.now();
  while (!isDone()) {
    await sleep(20);
    if (completed() !== last) [last, lastChange] = [completed(), performance.now()];
    else if (performance.now() - lastChange > STALL_MS) return false;
  }
  return true;
}

/**
 * Phase 1: every number writes its conversation, at most `concurrency` messages waiting for an answer at once.
 * An answered number writes again at once, ahead of numbers that have not started, so the mix of first
 * messages (a new lead, the dearest) and later ones is the conversations' own, whenever BENCH_SECONDS cuts in.
 */
async function saturate() {
  const crowd = Array.from({ length: options.numbers }, (_, i) => person(`+52155${20_000_000 + i}`, i % CONVERSATIONS.length));
  const ready = [...crowd];
  const samples: Sample[] = [];
  let inFlight = 0;
  let stopped = false;
  const started = performance.now();
  const pump = () => {
    while (!stopped && inFlight < options.concurrency && ready.length) {
      const who = ready.shift()!;
      inFlight++;
      void say(who).then((sample) => {
        inFlight--;
        samples.push(sample);
        if (who.step < options.perNumber) ready.unshift(who);
        pump();
      });
    }
  };
  const limit = setTimeout(() => (stopped = true), options.seconds * 1000);
  pump();
  const complete = await drain(() => samples.length, () => inFlight === 0);
  clearTimeout(limit);
  const elapsed = samples.length ? Math.max(...samples.map((s) => s.lastAt!)) - started : performance.now() - started;
  return { complete, samples, elapsed, offered: crowd.reduce((n, p) => n + p.step, 0) };
}

/**
 * Phase 2: new numbers write at a fixed rate (an open loop), each one message at a time, as people do.
 * Each slot goes to the first number that is not waiting for an answer, so conversations go on before new ones start (as in phase 1).
 */
async function pace(rate: number) {
  const crowd = Array.from({ length: options.numbers }, (_, i) => person(`+52155${30_000_000 + i}`, i % CONVERSATIONS.length));
  const samples: Sample[] = [];
  let offered = 0;
  let busySlots = 0;
  const started = performance.now();
  while (performance.now() - started < options.seconds * 1000) {
    const free = crowd.find((who) => who.current === null && who.step < options.perNumber);
    if (free) {
      offered++;
      void say(free).then((sample) => samples.push(sample));
    } else {
      if (crowd.every((who) => who.step >= options.perNumber)) break;
      busySlots++; // everyone left is still waiting for an answer: this slot goes unused
    }
    const wait = started + ((offered + busySlots) * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const offeringMs = performance.now() - started;
  const complete = await drain(() => samples.length, () => samples.length === offered);
  return { complete, samples, offered, busySlots, offeringMs };
}

/** One measured phase, between the bench's readings of the product's CPU; with this process's own CPU share. */
async function measured<T extends object>(name: string, phase: () => Promise<T>): Promise<T & { loadCpuPercent: number; replies: number }> {
  process.send!({ type: "phase", name, edge: "start" });
  const [cpu, started, repliesBefore] = [process.cpuUsage(), performance.now(), replyCount];
  const result = await phase();
  const used = process.cpuUsage(cpu);
  const loadCpuPercent = Math.round(((used.user + used.system) / 1000 / (performance.now() - started)) * 100);
  process.send!({ type: "phase", name, edge: "end" });
  return { ...result, loadCpuPercent, replies: replyCount - repliesBefore };
}

await probe();
const saturated = await measured("saturation", saturate);
await fake.statusCallbacksIdle(); // the first phase's delivery reports must not load the second
const perSecond = Math.round((saturated.samples.length / saturated.elapsed) * 1000);
const rate = options.rate ?? Math.max(10, Math.round(perSecond / 2));
const paced = await measured("paced", () => pace(rate));
await fake.statusCallbacksIdle();
// BENCH_SAMPLES_FILE: phase 2's [posted at (epoch ms), webhook → last reply ms, step] per message, to see when and where
// the slow ones happen (epoch time, to set beside what the product logs).
if (process.env.BENCH_SAMPLES_FILE) {
  const samples = paced.samples.map((s) => [Math.round(performance.timeOrigin + s.postedAt), Math.round((s.lastAt! - s.postedAt) * 100) / 100, s.step]);
  writeFileSync(process.env.BENCH_SAMPLES_FILE, JSON.stringify(samples));
}

const callbacks = fake.statusCallbacks;
process.send!({
  type: "result",
  replies_per_step: repliesAfter.map((cumulative) => cumulative.map((n, i) => n - (cumulative[i - 1] ?? 0))),
  saturation: {
    complete: saturated.complete,
    offered: saturated.offered,
    messages: saturated.samples.length,
    replies: saturated.replies,
    elapsed_ms: Math.round(saturated.elapsed),
    messages_per_second: perSecond,
    ...summary(saturated.samples),
    load_cpu_percent: saturated.loadCpuPercent,
  },
  paced: {
    complete: paced.complete,
    offered_per_second: rate,
    achieved_per_second: Math.round((paced.offered / paced.offeringMs) * 1000),
    offered: paced.offered,
    slots_unused_everyone_waiting: paced.busySlots,
    messages: paced.samples.length,
    replies: paced.replies,
    ...summary(paced.samples),
    load_cpu_percent: paced.loadCpuPercent,
  },
  status_callbacks: { on: statusCallbacksOn, posted: callbacks.length, answered_not_2xx: callbacks.filter((c) => c.status < 200 || c.status >= 300).length },
  unexpected_replies: unexpectedReplies,
  failures: failures.slice(0, 5),
  failure_count: failures.length,
});
// The fake keeps sockets to the product open; exit even if closing it waits on one.
setTimeout(() => process.exit(0), 2000).unref();
await fake.close();
sink.close();
process.exit(0);
