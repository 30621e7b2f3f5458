/**
 * `npm run bench:campaigns [-- --database sqlite|postgres]`: how fast a welcome
 * campaign reaches the leads already waiting for it, as the admin sees it.
 *
 * Per database (both when PostgreSQL is installed, see benchDatabases()) and per
 * scenario, on a fresh database and a fresh product process each:
 * 1. BENCH_LEADS (5,000) waiting leads, in `entrada` with a Telegram chat, are
 *    written straight into the migrated database before the product starts;
 * 2. the product starts as `npm start` starts it (test/bench/bench-product.ts),
 *    Telegram pointed at the fake Telegram Bot API in its own process
 *    (test/fakes/run-fake-telegram.ts), which reports every delivery;
 * 3. over the admin API, as the user's guide does it: a template, the campaign
 *    "Bienvenida Leads Nuevos" (stage_change on `entrada`, one send_message step
 *    with delay_hours 0), then PUT status "active". Activation enrolls the leads
 *    already in the stage before it answers (CampaignEngine.handleCampaignActivated)
 *    and starts a run of the due steps; on PostgreSQL each enrollment is also a
 *    graphile-worker job.
 * Measured: from the start of the activation request to the last delivery at
 * the fake, i.e. messages/s as the user experiences them; when the activation
 * answered; the busiest second against the cap, as Telegram would count it:
 * the most messages the fake received in any sliding 1 s window, by the times
 * the fake stamps on each sendMessage as it takes it in (its own clock, before
 * it answers), not by when the product sent them or when the report reached
 * this process; and the product process tree's CPU seconds over that span and
 * peak RSS (VmHWM) over its life.
 * Scenarios: the Telegram cap lifted (TELEGRAM_MAX_PER_SECOND=0), a cap of
 * 100,000/s over the same leads (should not slow anything), and the default
 * cap of 30/s over BENCH_CAPPED_LEADS (600, about 20 s).
 * Every lead must get exactly one message: deliveries are counted per chat
 * after BENCH_SETTLE_MS (3,000) of quiet following the last lead's first
 * message; waiting ends with leads missing after BENCH_STALL_MS (90,000, more
 * than the per-minute sweep) without a delivery.
 * BENCH_SCENARIOS (e.g. "cap_30" or "cap_lifted,cap_100000") runs only those;
 * the targets of the others are then null. CAMPAIGN_CONCURRENCY,
 * DATABASE_POOL_SIZE and LOG_LEVEL, when set, pass through to the product.
 * Prints progress and a table to stderr, and one JSON object as the last line
 * of stdout; exits non-zero when the run could not complete or a lead got no
 * message or more than one, never for a missed target.
 */
import type { ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { adminApi, errorLines, telegramProcessEnv, type ProductProcess } from "../integration/product-process";
import { BENCH_ADMIN_TOKEN, benchDatabases, insertRows, openBenchStore, settleAfterSeeding, startBenchProduct, type BenchDatabase, type BenchStore } from "./bench-product";
import { startFakeTelegramProcess } from "./bench-setup";
import { cpuBetween, readProcessTree } from "./process-stats";

const LEADS = Number(process.env.BENCH_LEADS ?? 5_000);
const CAPPED_LEADS = Number(process.env.BENCH_CAPPED_LEADS ?? 600);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 3_000);
const STALL_MS = Number(process.env.BENCH_STALL_MS ?? 90_000);
const PASS_THROUGH = ["CAMPAIGN_CONCURRENCY", "DATABASE_POOL_SIZE"] as const;
const FIRST_CHAT_ID = 7_100_000_000;
const HOUR = 3_600_000;

const TARGETS = {
  cap_lifted_messages_per_second: 1000,
  /** A configured cap delivers at least this share of its own rate (of the cap-lifted rate, when the cap is above it). */
  capped_share_of_cap: 0.9,
  /** ...and no second at the fake Telegram holds more than the cap (Telegram answers 429 beyond it). */
  capped_busiest_second_at_most_cap: true,
  peak_rss_mb: 300,
};

type ScenarioName = "cap_lifted" | "cap_100000" | "cap_30";
interface Scenario {
  name: ScenarioName;
  /** TELEGRAM_MAX_PER_SECOND; 0 lifts the cap. */
  cap: number;
  leads: number;
}
const ALL_SCENARIOS: Scenario[] = [
  { name: "cap_lifted", cap: 0, leads: LEADS },
  { name: "cap_100000", cap: 100_000, leads: LEADS },
  { name: "cap_30", cap: 30, leads: CAPPED_LEADS },
];
const CHOSEN = process.env.BENCH_SCENARIOS?.split(",").map((name) => name.trim()).filter(Boolean);
const SCENARIOS = CHOSEN ? ALL_SCENARIOS.filter((scenario) => CHOSEN.includes(scenario.name)) : ALL_SCENARIOS;
if (SCENARIOS.length === 0) throw new Error(`BENCH_SCENARIOS names none of ${ALL_SCENARIOS.map((scenario) => scenario.name).join(", ")}`);

/** The clock the fake stamps deliveries with (epoch ms, sub-millisecond). */
const epochNow = () => performance.timeOrigin + performance.now();
const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;
const progress = (line: string) => console.error(line);
const api = adminApi(BENCH_ADMIN_TOKEN);

// --- seeding -----------------------------------------------------------------------------------

const FIRST_NAMES = ["María", "José", "Guadalupe", "Juan", "Fernanda", "Luis", "Ana", "Carlos", "Daniela", "Miguel", "Sofía", "Alejandro"];
const SURNAMES = ["Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez"];
const LOCATIONS = ["Zapopan", "Monterrey", "Querétaro", "Coyoacán", "Mérida", "Puebla", "Tlalpan", "San Pedro Garza García"];
const PROPERTY_TYPES = ["casa", "departamento", "terreno"];
const SOURCES = ["telegram", "facebook", "web", "referido"];
const LEAD_COLUMNS = [
  "name", "telegram_chat_id", "telegram_username", "phone", "email", "source", "pipeline_stage", "furthest_stage_rank",
  "stage_changed_at", "last_activity_at", "score", "budget_min", "budget_max", "currency", "location", "property_type",
  "bedrooms", "purpose", "created_at", "updated_at",
] as const;

/** Lead `i` as it would be after writing in once: in `entrada` for an hour to three days, a few profile facts. */
function waitingLeadRow(i: number, now: number): unknown[] {
  const first = FIRST_NAMES[i % FIRST_NAMES.length]!;
  const surname = SURNAMES[Math.floor(i / FIRST_NAMES.length) % SURNAMES.length]!;
  const enteredAt = new Date(now - HOUR - ((i * 7_919) % (72 * HOUR)));
  const lastActivityAt = new Date(enteredAt.getTime() + (i % 30) * 60_000);
  const budgetMin = 1_500_000 + (i % 20) * 250_000;
  const purpose = i % 4 === 0 ? "renta" : "compra";
  return [
    `${first} ${surname}`, FIRST_CHAT_ID + i, `lead_${i}`, `+5215${String(500_000_000 + i).padStart(9, "0")}`, `lead${i}@correo.mx`,
    SOURCES[i % SOURCES.length], "entrada", 0, enteredAt, lastActivityAt, i % 21, budgetMin, budgetMin + 1_000_000, "MXN",
    LOCATIONS[i % LOCATIONS.length], PROPERTY_TYPES[i % PROPERTY_TYPES.length], 1 + (i % 4), purpose, enteredAt, lastActivityAt,
  ];
}

/** Writes `count` waiting leads; returns their chat ids. Flags (opted_out…) keep their defaults, so no column differs by database. */
async function seedWaitingLeads(store: BenchStore, count: number): Promise<number[]> {
  const now = Date.now();
  await insertRows(store.raw, "leads", LEAD_COLUMNS, Array.from({ length: count }, (_, i) => waitingLeadRow(i, now)));
  await settleAfterSeeding(store);
  const [row] = await store.raw.query<{ n: number }>("SELECT COUNT(*) AS n FROM leads WHERE pipeline_stage = 'entrada' AND telegram_chat_id IS NOT NULL");
  if (Number(row?.n) !== count) throw new Error(`seeded ${count} leads, the database holds ${row?.n}`);
  return Array.from({ length: count }, (_, i) => FIRST_CHAT_ID + i);
}

// --- deliveries at the fake --------------------------------------------------------------------

interface Delivery {
  type: "delivered";
  chat_id: number;
  delivered_at: number;
}

function isDelivery(message: unknown): message is Delivery {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "delivered";
}

/** Every message the fake delivered, counted per chat as it arrives. */
function recordDeliveries(fake: ChildProcess) {
  const perChat = new Map<number, number>();
  const times: number[] = [];
  fake.on("message", (message: unknown) => {
    if (!isDelivery(message)) return;
    perChat.set(message.chat_id, (perChat.get(message.chat_id) ?? 0) + 1);
    times.push(message.delivered_at);
  });
  return { perChat, times, lastAt: () => times.at(-1) ?? 0 };
}
type DeliveryRecord = ReturnType<typeof recordDeliveries>;

/** Resolves once every lead got a message, or when none arrived for STALL_MS (leads are then missing). */
function untilEveryLeadReached(record: DeliveryRecord, chatIds: readonly number[], since: number): Promise<"all" | "stalled"> {
  const leads = new Set(chatIds);
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const reached = [...record.perChat.keys()].filter((chat) => leads.has(chat)).length;
      if (reached === leads.size) resolve("all");
      else if (epochNow() - Math.max(since, record.lastAt()) > STALL_MS) resolve("stalled");
      else return;
      clearInterval(timer);
    }, 50);
  });
}

/** Leads with no message, leads with more than one, and messages to chats that are no lead of the run. */
function tallyDeliveries(record: DeliveryRecord, chatIds: readonly number[]) {
  const leads = new Set(chatIds);
  const counts = chatIds.map((chat) => record.perChat.get(chat) ?? 0);
  const strangers = [...record.perChat.entries()].filter(([chat]) => !leads.has(chat));
  return {
    delivered_leads: counts.filter((n) => n > 0).length,
    missing_leads: counts.filter((n) => n === 0).length,
    duplicate_leads: counts.filter((n) => n > 1).length,
    messages_to_other_chats: strangers.reduce((sum, [, n]) => sum + n, 0),
  };
}

/** The most deliveries in any 1 s window [t, t + 1000 ms), on the fake's receive times: what Telegram's per-second limit would see. */
function busiestSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

// --- the admin's steps, over the API -----------------------------------------------------------

/** The guide's welcome campaign, as a draft with its one step; returns its id. */
async function createWelcomeCampaign(baseUrl: string): Promise<number> {
  const template = await api(baseUrl, "POST", "/templates", {
    name: "Bienvenida bench",
    channel: "telegram",
    content: "Hola {{first_name}}, gracias por tu interés. ¿Qué tipo de propiedad buscas en {{location}}?",
    agent_type: "perfilador",
  });
  const campaign = await api(baseUrl, "POST", "/campaigns", {
    name: "Bienvenida Leads Nuevos",
    description: "Campaña para leads que acaban de entrar",
    channel: "telegram",
    triggered_by: "stage_change",
    trigger_condition: { stage: "entrada" },
  });
  await api(baseUrl, "POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "send_message", message_template_id: template.id, delay_hours: 0 });
  return campaign.id;
}

interface CampaignStats {
  enrollments: { active: number; completed: number; exited: number };
  steps: { success: number; failed: number; skipped: number; in_flight: number }[];
  needs_review: number;
}

/** What the campaign's stats page says the steps did. */
async function stepOutcomes(baseUrl: string, campaignId: number) {
  const stats = await api<CampaignStats>(baseUrl, "GET", `/campaigns/${campaignId}/stats`);
  const sum = (field: "success" | "failed" | "skipped" | "in_flight") => stats.steps.reduce((total, step) => total + step[field], 0);
  return { enrollments: stats.enrollments, success: sum("success"), failed: sum("failed"), skipped: sum("skipped"), in_flight: sum("in_flight"), needs_review: stats.needs_review };
}

// --- one scenario ------------------------------------------------------------------------------

function productEnv(telegram: { token: string; apiRoot: string }, cap: number): Record<string, string> {
  const passed = PASS_THROUGH.flatMap((name) => (process.env[name] ? [[name, process.env[name]!] as const] : []));
  return { ...telegramProcessEnv(telegram), TELEGRAM_MAX_PER_SECOND: String(cap), ...Object.fromEntries(passed) };
}

/** From activation to the last message, on a product of its own; the caller cleans up what `opened` collects. */
async function measureScenario(kind: BenchDatabase, scenario: Scenario, opened: (close: () => Promise<unknown>) => void) {
  const store = await openBenchStore(kind, `campaigns_${scenario.name}`);
  opened(() => store.cleanUp());
  let started = performance.now();
  const chatIds = await seedWaitingLeads(store, scenario.leads);
  const seedMs = performance.now() - started;

  const telegram = await startFakeTelegramProcess("999:BENCH-CAMPAIGNS");
  opened(async () => telegram.child.kill("SIGTERM"));
  const record = recordDeliveries(telegram.child);
  started = performance.now();
  const product: ProductProcess = await startBenchProduct(store, productEnv(telegram, scenario.cap));
  opened(() => product.stop());
  const startMs = performance.now() - started;
  const pid = product.child.pid!;
  const campaignId = await createWelcomeCampaign(product.baseUrl);
  if (record.times.length > 0) throw new Error(`${record.times.length} messages went out before the campaign was active`);

  const cpuBefore = readProcessTree(pid);
  const activationStart = epochNow();
  await api(product.baseUrl, "PUT", `/campaigns/${campaignId}`, { status: "active" });
  const activationAnswered = epochNow();
  const outcome = await untilEveryLeadReached(record, chatIds, activationAnswered);
  const cpuSeconds = cpuBetween(cpuBefore, readProcessTree(pid)).reduce((sum, reading) => sum + reading.cpuSeconds, 0);
  await new Promise((settle) => setTimeout(settle, SETTLE_MS));

  const tally = tallyDeliveries(record, chatIds);
  const firstDelivery = record.times.reduce((first, at) => Math.min(first, at), Infinity);
  const lastDelivery = record.times.reduce((last, at) => Math.max(last, at), activationStart);
  const spanSeconds = (lastDelivery - activationStart) / 1000;
  const finalTree = readProcessTree(pid);
  return {
    cap_per_second: scenario.cap,
    leads: scenario.leads,
    seed_ms: Math.round(seedMs),
    product_start_ms: Math.round(startMs),
    activation_answer_ms: Math.round(activationAnswered - activationStart),
    first_delivery_ms: record.times.length ? Math.round(firstDelivery - activationStart) : null,
    last_delivery_ms: Math.round(lastDelivery - activationStart),
    messages_per_second: spanSeconds > 0 ? round(tally.delivered_leads / spanSeconds, 1) : 0,
    busiest_second: busiestSecond(record.times),
    waiting_ended: outcome,
    ...tally,
    steps: await stepOutcomes(product.baseUrl, campaignId),
    product: {
      cpu_seconds_activation_to_last: round(cpuSeconds, 2),
      cpu_seconds_total: round(finalTree.reduce((sum, reading) => sum + reading.cpuSeconds, 0), 2),
      peak_rss_mb: Math.round(finalTree.reduce((sum, reading) => sum + reading.peakRssMb, 0)),
      // The sum above is over these (the product and any process it started), each with its own peak.
      processes: finalTree.map((reading) => ({ pid: reading.pid, name: reading.name, peak_rss_mb: Math.round(reading.peakRssMb), cpu_seconds: round(reading.cpuSeconds, 2) })),
      error_lines: errorLines(product).length,
    },
  };
}
type ScenarioResult = Awaited<ReturnType<typeof measureScenario>>;

async function runScenario(kind: BenchDatabase, scenario: Scenario): Promise<ScenarioResult> {
  const closers: (() => Promise<unknown>)[] = [];
  progress(`${kind} ${scenario.name}: ${scenario.leads} waiting leads, TELEGRAM_MAX_PER_SECOND=${scenario.cap}`);
  try {
    const result = await measureScenario(kind, scenario, (close) => closers.push(close));
    progress(
      `  activation answered in ${result.activation_answer_ms} ms; ${result.delivered_leads}/${result.leads} leads reached, ` +
        `last ${result.last_delivery_ms} ms after activation: ${result.messages_per_second} messages/s ` +
        `(busiest second ${result.busiest_second}; ${result.duplicate_leads} leads twice, ${result.missing_leads} missing)`,
    );
    return result;
  } finally {
    // Product first, then the fake it sends to, then the database under it.
    for (const close of closers.reverse()) await close().catch((error: unknown) => progress(`  clean-up: ${String(error)}`));
  }
}

// --- targets, summary, output ------------------------------------------------------------------

type DatabaseResult = Partial<Record<ScenarioName, ScenarioResult>>;

function targetsMet(result: DatabaseResult) {
  const lifted = result.cap_lifted?.messages_per_second ?? 0;
  // A cap above what the product does without one is met when it is as fast as without one.
  const reachable = (cap: number) => (lifted > 0 ? Math.min(cap, lifted) : cap);
  const capMet = (scenario: ScenarioResult | undefined) =>
    scenario === undefined ? null : scenario.messages_per_second >= TARGETS.capped_share_of_cap * reachable(scenario.cap_per_second);
  const withinCap = (scenario: ScenarioResult | undefined) => (scenario === undefined ? null : scenario.busiest_second <= scenario.cap_per_second);
  const scenarios = Object.values(result);
  return {
    cap_lifted_messages_per_second: result.cap_lifted === undefined ? null : lifted >= TARGETS.cap_lifted_messages_per_second,
    cap_100000_rate: result.cap_lifted === undefined ? null : capMet(result.cap_100000),
    cap_30_rate: capMet(result.cap_30),
    cap_30_busiest_second: withinCap(result.cap_30),
    peak_rss: scenarios.length > 0 && scenarios.every((scenario) => scenario.product.peak_rss_mb < TARGETS.peak_rss_mb),
  };
}

function printTable(results: Partial<Record<BenchDatabase, DatabaseResult>>): void {
  const header = ["database", "scenario", "leads", "answer ms", "first ms", "last ms", "msg/s", "busiest 1 s", "twice", "missing", "CPU s", "peak RSS MB"];
  const rows = Object.entries(results).flatMap(([kind, scenarios]) =>
    Object.entries(scenarios).map(([name, r]) => [
      kind, name, r.leads, r.activation_answer_ms, r.first_delivery_ms, r.last_delivery_ms, r.messages_per_second, r.busiest_second,
      r.duplicate_leads, r.missing_leads, r.product.cpu_seconds_activation_to_last, r.product.peak_rss_mb,
    ].map((cell) => String(cell ?? "-"))),
  );
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows]) progress(row.map((cell, column) => cell.padStart(widths[column]!)).join("  "));
}

/** A lead that got no message or two spoils the run, whatever the speed. */
const deliveredOncePerLead = (result: ScenarioResult) => result.duplicate_leads === 0 && result.missing_leads === 0;

const results: Partial<Record<BenchDatabase, DatabaseResult>> = {};
let completed = true;
for (const kind of benchDatabases()) {
  const perScenario: DatabaseResult = {};
  results[kind] = perScenario;
  for (const scenario of SCENARIOS) {
    try {
      perScenario[scenario.name] = await runScenario(kind, scenario);
    } catch (error) {
      completed = false;
      progress(`${kind} ${scenario.name} could not complete: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
}
const everyLeadOnce = Object.values(results).every((scenarios) => Object.values(scenarios).every(deliveredOncePerLead));
printTable(results);
if (!everyLeadOnce) progress("FAILED: a lead got no message, or more than one (see twice / missing)");
console.log(
  JSON.stringify({
    ...results,
    targets: TARGETS,
    met: Object.fromEntries(Object.entries(results).map(([kind, scenarios]) => [kind, targetsMet(scenarios)])),
    every_lead_once: everyLeadOnce,
    completed,
    node: process.version,
    cpus: cpus().length,
  }),
);
process.exitCode = completed && everyLeadOnce ? 0 : 1;
