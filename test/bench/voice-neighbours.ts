/**
 * The neighbours of `npm run bench:voice`, in their own process, all from the
 * user's side:
 * - the fake Twilio REST API the product places every call through;
 * - churn: calls placed and ended around the steady ones (BENCH_CHURN a
 *   second, each streaming BENCH_CHURN_SECONDS both ways), each through the
 *   admin API, Twilio's signed webhooks and a Media Stream, so the call's
 *   start (lead lookup, prompt) and finalisation (transcript, summary, facts,
 *   stage) run while the steady calls are measured;
 * - API clients (BENCH_API_CLIENTS, 16) creating leads over /api/v1 and moving
 *   them through the stages, back to back;
 * - a campaign over BENCH_CAMPAIGN_LEADS waiting leads (in `seguimiento`, with
 *   a Telegram chat), created before the quiet phase and activated when the
 *   neighbours' window opens: the product sends one message to each through
 *   the fake Telegram (another process; the bench counts the deliveries there).
 * Every request is kept with its time, so the bench reads them per window.
 *
 * IPC: sends {type: "ready", twilio}; takes "seed" (answers "seeded"), "go"
 * (starts churn and API clients, answers "going"), "campaign" (activates it,
 * answers "campaign"), "stop" (answers "result" once churn calls ended and
 * their results were checked, or after `graceMs` twice at most: what was still
 * waiting on the product then is reported as unfinished).
 */
import { Agent } from "node:http";
import { startFakeTwilio } from "../fakes/twilio-rest";
import { apiClient, epochNow, FRAME_KIND, inBatches, must, percentiles, placeStreamingCall, stampedFrame, TimedSamples, type ApiClient, type LiveCall, type TwilioSide } from "./voice-twilio-side";
import type { Window } from "./voice-load";

export interface SeedRequest {
  type: "seed";
  side: TwilioSide;
  adminToken: string;
  campaignLeads: number;
  chatBase: number;
  clients: number;
}
export interface GoRequest {
  type: "go";
  churnPerSecond: number;
  churnSeconds: number;
  apiClients: number;
  apiThinkMs: number;
}

const twilio = await startFakeTwilio();
process.send?.({ type: "ready", twilio: { apiBase: twilio.apiBase, accountSid: twilio.accountSid, authToken: twilio.authToken } });

const inbox: { type: string; [key: string]: any }[] = [];
const waiters: (() => void)[] = [];
process.on("message", (message: { type: string }) => {
  inbox.push(message);
  for (const wake of waiters.splice(0)) wake();
});
async function next<T>(type: string): Promise<T> {
  for (;;) {
    const index = inbox.findIndex((m) => m.type === type);
    if (index >= 0) return inbox.splice(index, 1)[0] as T;
    await new Promise<void>((wake) => waiters.push(wake));
  }
}

// --- seeding: the campaign and its waiting leads, before the quiet phase ------------------------
const seed = await next<SeedRequest>("seed");
const { side } = seed;
const seedApi = apiClient(side.productUrl, seed.adminToken);
const seedStarted = performance.now();
const template = await must(
  seedApi("POST", "/templates", { name: "Bench vecinos", channel: "telegram", content: "Hola {{first_name}}, ¿seguimos buscando tu {{property_type|propiedad}}?" }),
  "POST /templates",
);
const campaign = await must(
  seedApi("POST", "/campaigns", { name: "Bench vecinos", channel: "telegram", triggered_by: "stage_change", trigger_condition: { stage: "seguimiento" } }),
  "POST /campaigns",
);
await must(seedApi("POST", `/campaigns/${campaign.id}/steps`, { step_number: 1, action: "send_message", message_template_id: template.id, delay_hours: 0 }), "POST /campaigns/{id}/steps");
await inBatches(
  Array.from({ length: seed.campaignLeads }, (_, i) => i),
  seed.clients,
  async (i) => {
    const lead = await must(seedApi("POST", "/leads", { name: `Campaña ${i}`, telegram_chat_id: seed.chatBase + i }), "POST /leads");
    await must(seedApi("POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "seguimiento", reason: "bench", force: true }), "POST /pipeline/leads/{id}/move-stage");
  },
);
process.send?.({ type: "seeded", campaign_id: campaign.id, leads: seed.campaignLeads, ms: Math.round(performance.now() - seedStarted) });

// --- the neighbours ------------------------------------------------------------------------------
const go = await next<GoRequest>("go");
let running = true;
const apiLatency = new TimedSamples();
const apiErrors = new TimedSamples();
const apiErrorExamples: string[] = [];

/** One request of an API client, timed from its start to the end of its answer. */
let apiInFlight = 0;
async function timed(api: ApiClient, method: string, path: string, body?: unknown): Promise<any> {
  const started = epochNow();
  apiInFlight++;
  try {
    const answer = await api(method, path, body);
    apiLatency.push(started, epochNow() - started);
    if (answer.status >= 300) {
      apiErrors.push(started, answer.status);
      if (apiErrorExamples.length < 5) apiErrorExamples.push(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
      return null;
    }
    return answer.body;
  } catch (error) {
    apiErrors.push(started, 0);
    if (apiErrorExamples.length < 5) apiErrorExamples.push(`${method} ${path}: ${String(error)}`);
    return null;
  } finally {
    apiInFlight--;
  }
}

let apiLeadCounter = 0;
async function apiClientLoop(client: number): Promise<void> {
  const api = apiClient(side.productUrl, seed.adminToken, new Agent({ keepAlive: true }));
  while (running) {
    const n = apiLeadCounter++;
    const lead = await timed(api, "POST", "/leads", { name: `API ${client}-${n}`, phone: `+52554${String(n).padStart(7, "0")}`, source: "bench" });
    if (lead) {
      await timed(api, "POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "perfilamiento" });
      await timed(api, "PATCH", `/leads/${lead.id}`, { budget_max: 3_500_000, location: "Del Valle", property_type: "casa" });
      await timed(api, "POST", `/pipeline/leads/${lead.id}/move-stage`, { new_stage: "calificacion_financiera" });
      await timed(api, "GET", `/leads/${lead.id}`);
    }
    if (go.apiThinkMs > 0) await new Promise((resolve) => setTimeout(resolve, go.apiThinkMs));
  }
}

interface ChurnCall {
  startedAt: number;
  call?: LiveCall;
  /** From POST /calls/initiate to the first agent audio on the stream. */
  firstAudioMs?: number;
  endedAt?: number;
  error?: string;
}
const churn: ChurnCall[] = [];
const churnApi = apiClient(side.productUrl, seed.adminToken);
const churnFrame = stampedFrame(FRAME_KIND.churnCaller);

async function churnCall(n: number): Promise<void> {
  const record: ChurnCall = { startedAt: epochNow() };
  churn.push(record);
  let frames: NodeJS.Timeout | undefined;
  try {
    const call = await placeStreamingCall(side, churnApi, { name: `Vecino ${n}`, phone: `+52553${String(n).padStart(7, "0")}` }, (data) => {
      if (record.firstAudioMs === undefined && data.toString().includes('"media"')) record.firstAudioMs = epochNow() - record.startedAt;
    });
    record.call = call;
    let chunk = 0;
    frames = setInterval(() => {
      chunk++;
      call.send({ event: "media", sequenceNumber: String(chunk + 1), streamSid: call.streamSid, media: { track: "inbound", chunk: String(chunk), timestamp: String(chunk * 20), payload: churnFrame } });
    }, 20);
    await new Promise((resolve) => setTimeout(resolve, go.churnSeconds * 1000));
    clearInterval(frames);
    await call.hangUp();
    record.endedAt = epochNow();
  } catch (error) {
    clearInterval(frames);
    record.error = String(error);
  }
}

const churnRuns: Promise<void>[] = [];
let churnCounter = 0;
const churnTimer =
  go.churnPerSecond > 0
    ? setInterval(() => {
        if (running) churnRuns.push(churnCall(churnCounter++));
      }, 1000 / go.churnPerSecond)
    : undefined;
const clientLoops = Array.from({ length: go.apiClients }, (_, i) => apiClientLoop(i));
process.send?.({ type: "going", at: epochNow() });

await next("campaign");
const activationStarted = epochNow();
const activated = await churnApi("PUT", `/campaigns/${campaign.id}`, { status: "active" });
process.send?.({ type: "campaign", requested_at: activationStarted, answered_at: epochNow(), status: activated.status });

const { windows, graceMs } = await next<{ windows: Window[]; graceMs: number }>("stop");
running = false;
clearInterval(churnTimer);
// What is in flight finishes, for at most graceMs: a product still swamped after the window is
// reported as such (unfinished work), not waited for.
const settled = { value: false };
await Promise.race([
  Promise.all([...clientLoops, ...churnRuns]).then(() => (settled.value = true)),
  new Promise((resolve) => setTimeout(resolve, graceMs)),
]);

// Every churn call that ended must have been finalised: its summary stored (checked until the same grace ends).
const ended = churn.filter((c) => c.endedAt !== undefined && c.call);
const deadline = Date.now() + graceMs;
let pending = ended.map((c) => c.call!.callId);
while (pending.length && Date.now() < deadline) {
  const checked = await Promise.all(
    pending.map(async (id) => {
      const answer = await Promise.race([churnApi("GET", `/calls/${id}`).catch(() => null), new Promise<null>((resolve) => setTimeout(() => resolve(null), Math.max(0, deadline - Date.now())))]);
      return answer?.status === 200 && answer.body?.summary ? null : id;
    }),
  );
  pending = checked.filter((id): id is number => id !== null);
  if (pending.length) await new Promise((resolve) => setTimeout(resolve, 250));
}
const sampleId = ended.find((c) => !pending.includes(c.call!.callId))?.call?.callId;
const sample =
  sampleId === undefined
    ? null
    : (await Promise.race([churnApi("GET", `/calls/${sampleId}`).catch(() => null), new Promise<null>((resolve) => setTimeout(() => resolve(null), 5_000))]))?.body;

const perWindow: Record<string, unknown> = {};
for (const window of windows) {
  const seconds = (window.to - window.from) / 1000;
  const latency = apiLatency.within(window.from, window.to);
  perWindow[window.name] = {
    api: {
      requests: latency.length,
      requests_per_second: Math.round(latency.length / seconds),
      latency_ms: percentiles(latency),
      errors: apiErrors.within(window.from, window.to).length,
    },
    churn: {
      calls_started: churn.filter((c) => c.startedAt >= window.from && c.startedAt < window.to).length,
      calls_ended: churn.filter((c) => c.endedAt !== undefined && c.endedAt >= window.from && c.endedAt < window.to).length,
    },
  };
}
const failed = churn.filter((c) => c.error);
process.send?.({
  type: "result",
  windows: perWindow,
  api: { clients: go.apiClients, leads_created: apiLeadCounter, unanswered_at_stop: apiInFlight, error_examples: apiErrorExamples },
  churn: {
    calls: churn.length,
    ended: ended.length,
    unfinished_at_stop: churn.filter((c) => c.endedAt === undefined && !c.error).length,
    finalised_with_summary_within_grace: ended.length - pending.length,
    all_in_flight_work_finished_within_grace: settled.value,
    failed: failed.length,
    failures: failed.slice(0, 3).map((c) => c.error),
    initiate_to_first_agent_audio_ms: percentiles(churn.flatMap((c) => (c.firstAudioMs === undefined ? [] : [c.firstAudioMs]))),
    sample_transcript_lines: sample?.transcript?.length ?? null,
    sample_summary: typeof sample?.summary === "string" ? sample.summary.slice(0, 200) : null,
  },
  twilio_calls_placed: twilio.calls.length,
});
// Requests and calls still waiting on the product end with this process.
setTimeout(() => process.exit(0), 200);
