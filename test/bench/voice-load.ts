/**
 * The steady side of `npm run bench:voice`, in its own process: the fake
 * OpenAI Realtime server every call of the run connects to, and Twilio's side
 * of the N steady calls whose latency the bench reports.
 *
 * Every 20 ms each steady call sends a caller frame, and the fake model sends
 * an audio delta on every Realtime session (steady and churn alike). Each
 * steady call also plays what the bridge sends it as Twilio does, 20 ms per
 * 20 ms, and echoes each mark once the audio before it has played (and those
 * still queued on a clear), so a bridge handles the mark echoes a real call
 * sends. The send time travels inside the audio bytes (the bridge passes
 * μ-law through untouched), so both added latencies are measured on this
 * process's clock:
 * Twilio frame sent → Realtime append received (twilio_to_realtime), and model
 * delta sent → Twilio media received (realtime_to_twilio). Only steady calls
 * are measured, and only once each is `warmupMs` old; every sample keeps its
 * time, so the bench reads them per phase window afterwards.
 *
 * Sessions whose caller audio says it comes from a churn call (test/bench/
 * voice-neighbours.ts) also get a conversation: every second an agent line
 * and a caller line with facts, so those calls leave a transcript to finalise.
 *
 * This process's own event-loop delay is sampled too: a measurement taken
 * while the measuring process lags includes the lag. It stands for Twilio and
 * OpenAI, which in production run on other machines and never wait for ours:
 * so it asks for real-time scheduling above the product's audio process
 * (SCHED_RR 20, against VOICE_AUDIO_REALTIME_PRIORITY's 10), and for
 * VOICE_AUDIO_NICE's -10 as the fallback. With all cores busy under the
 * neighbours, a frame it stamps or receives would otherwise wait behind the
 * bench's own load generators and the database, and that wait would be counted
 * as the product's (measured: neighbours p99 3.7–3.8 ms with the nice alone,
 * 1.2 ms with it, the product the same). Where that is refused (not root), it
 * says so in its result.
 *
 * The steady calls go to the product (placed over the admin API and answered
 * through its webhooks) or, with a `stream` target, straight to a bridge's
 * Media Streams URL (Twilio's sample bridge in `--compare-sample`): the
 * frames, the fake model and the measurement are the same for both.
 *
 * IPC: sends {type: "ready", realtimeUrl}; takes {type: "calls", …} and
 * answers {type: "streaming"} once every steady call streams; takes
 * {type: "report", windows, graceMs}, hangs up, answers {type: "result", …}
 * and exits.
 */
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { setOwnPriority, setOwnRealtimePriority } from "../../voice/process-priority";
import {
  apiClient,
  createPlayback,
  epochNow,
  FRAME_KIND,
  inBatches,
  openDirectStream,
  percentiles,
  placeStreamingCall,
  readFrame,
  stampedFrame,
  TimedSamples,
  type StreamingCall,
  type TwilioSide,
} from "./voice-twilio-side";

/** Where the steady calls go: the product (calls placed over its admin API), or a bridge's Media Streams URL directly. */
export type SteadyTarget = { kind: "product"; side: TwilioSide; adminToken: string } | { kind: "stream"; streamUrl: string; accountSid: string };

export interface SteadyCallsRequest {
  type: "calls";
  target: SteadyTarget;
  calls: number;
  warmupMs: number;
  /** The first steady call's number among the leads' phones: a later round on the same database gets leads of its own. */
  numberFrom?: number;
}
export interface Window {
  name: string;
  from: number;
  to: number;
}

const CHURN_CALLER_LINES = [
  "Busco un departamento en la Condesa de dos recámaras, mi presupuesto es de 4 millones.",
  "Sería para vivir, con crédito Infonavit.",
  "Me interesa también ver casas en Coyoacán.",
];
const AGENT_LINE = "Perfecto, ¿qué presupuesto tienes y en qué zona te gustaría vivir?";

const MEASURING_NICE = -10;
const MEASURING_REALTIME_PRIORITY = 20;
const priorityRefused = setOwnPriority(MEASURING_NICE);
const realtimeRefused = setOwnRealtimePriority(MEASURING_REALTIME_PRIORITY);
const measuringScheduling = !realtimeRefused ? `SCHED_RR ${MEASURING_REALTIME_PRIORITY}` : !priorityRefused ? `nice ${MEASURING_NICE}` : "default";
const inbound = new TimedSamples();
const outbound = new TimedSamples();
const loopDelay = new TimedSamples();
let churnSessions = 0;
let realtimeSessions = 0;
let counter = 0;
const steadyStart: number[] = [];
let warmupMs = 2000;

// --- the fake Realtime server ------------------------------------------------------------------
const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
wss.on("connection", (ws) => {
  realtimeSessions++;
  const session = ++counter;
  let kind = 0;
  let agentItem = `item_${session}_0`;
  let turn = 0;
  let conversation: NodeJS.Timeout | undefined;
  const send = (event: Record<string, unknown>) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(event));
  };
  send({ type: "session.created", session: { id: `sess_${session}`, object: "realtime.session" } });
  // The model's audio: one 20 ms delta every 20 ms, each session on its own phase of the cycle.
  let deltas: NodeJS.Timeout | undefined;
  const phase = setTimeout(() => {
    deltas = setInterval(
      () => send({ type: "response.output_audio.delta", response_id: `resp_${session}`, item_id: agentItem, output_index: 0, content_index: 0, delta: stampedFrame(FRAME_KIND.model) }),
      20,
    );
  }, Math.random() * 20);
  /** A churn call's conversation: the agent's line, then the caller's, each a conversation item with its transcript. */
  const speak = () => {
    turn++;
    agentItem = `item_${session}_a${turn}`;
    send({ type: "conversation.item.added", item: { id: agentItem, object: "realtime.item", type: "message", role: "assistant", status: "in_progress", content: [] } });
    send({ type: "response.output_audio_transcript.done", response_id: `resp_${session}`, item_id: agentItem, output_index: 0, content_index: 0, transcript: AGENT_LINE });
    const callerItem = `item_${session}_u${turn}`;
    send({ type: "conversation.item.added", item: { id: callerItem, object: "realtime.item", type: "message", role: "user", status: "completed", content: [] } });
    send({ type: "conversation.item.input_audio_transcription.completed", item_id: callerItem, content_index: 0, transcript: CHURN_CALLER_LINES[turn % CHURN_CALLER_LINES.length] });
  };
  ws.on("message", (data) => {
    const event = JSON.parse(data.toString()) as { type: string; audio?: string };
    if (event.type === "input_audio_buffer.append" && event.audio) {
      const frame = readFrame(event.audio);
      if (!frame) return;
      if (kind === 0) {
        kind = frame.kind;
        if (kind === FRAME_KIND.churnCaller) {
          churnSessions++;
          conversation = setInterval(speak, 1000);
        }
      }
      if (frame.kind !== FRAME_KIND.steadyCaller) return;
      const now = performance.now();
      const at = epochNow();
      if (at - (steadyStart[frame.index] ?? Infinity) >= warmupMs) inbound.push(at, now - frame.sentAt);
      return;
    }
    if (event.type === "session.update") return send({ type: "session.updated", session: {} });
    // Server VAD is not played here: the greeting's response opens and closes at once.
    if (event.type === "response.create") {
      send({ type: "response.created", response: { object: "realtime.response", id: `resp_${session}_${turn}`, status: "in_progress", output: [] } });
      send({ type: "response.done", response: { object: "realtime.response", id: `resp_${session}_${turn}`, status: "completed", output: [] } });
    }
  });
  ws.on("close", () => {
    clearTimeout(phase);
    clearInterval(deltas);
    clearInterval(conversation);
  });
  ws.on("error", () => undefined);
});

// This process's event-loop delay, every 50 ms.
let expected = performance.now() + 50;
setInterval(() => {
  const now = performance.now();
  loopDelay.push(epochNow(), Math.max(0, now - expected));
  expected = now + 50;
}, 50);

process.send?.({ type: "ready", realtimeUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/realtime` });
const request = await new Promise<SteadyCallsRequest>((resolve) => process.once("message", (message) => resolve(message as SteadyCallsRequest)));
warmupMs = request.warmupMs;

// --- the steady calls ---------------------------------------------------------------------------
const { target } = request;
const api = target.kind === "product" ? apiClient(target.side.productUrl, target.adminToken) : null;
const calls: StreamingCall[] = [];
const timers: NodeJS.Timeout[] = [];
const setupStarted = performance.now();
await inBatches(
  Array.from({ length: request.calls }, (_, i) => i),
  8,
  async (i) => {
    const playback = createPlayback();
    let sequence = 1;
    const echo = (names: string[]) => {
      for (const name of names) calls[i]?.send({ event: "mark", sequenceNumber: String(++sequence), streamSid: calls[i]!.streamSid, mark: { name } });
    };
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as { event: string; media?: { payload: string }; mark?: { name: string } };
      if (message.event === "mark" && message.mark) return playback.mark(message.mark.name);
      if (message.event === "clear") return echo(playback.clear());
      if (message.event !== "media" || !message.media) return;
      const now = performance.now();
      const at = epochNow();
      playback.media(message.media.payload);
      const frame = readFrame(message.media.payload);
      if (!frame || frame.kind !== FRAME_KIND.model) return;
      if (at - steadyStart[i]! >= warmupMs) outbound.push(at, now - frame.sentAt);
    };
    const call =
      target.kind === "product"
        ? await placeStreamingCall(target.side, api!, { name: `Estable ${i}`, phone: `+52552${String((request.numberFrom ?? 0) + i).padStart(7, "0")}` }, onMessage)
        : await openDirectStream(target.streamUrl, target.accountSid, onMessage);
    steadyStart[i] = call.streamStartedAt;
    calls[i] = call;
    let chunk = 0;
    timers.push(
      setInterval(() => {
        chunk++;
        call.send({ event: "media", sequenceNumber: String(++sequence), streamSid: call.streamSid, media: { track: "inbound", chunk: String(chunk), timestamp: String(chunk * 20), payload: stampedFrame(FRAME_KIND.steadyCaller, i) } });
        // The caller's 20 ms went out, and 20 ms of what the bridge sent has played meanwhile.
        echo(playback.play(20));
      }, 20),
    );
  },
);
while (realtimeSessions < request.calls) await new Promise((resolve) => setTimeout(resolve, 10));
process.send?.({ type: "streaming", at: epochNow(), setup_ms: Math.round(performance.now() - setupStarted), realtime_sessions: realtimeSessions });

const { windows, graceMs } = await new Promise<{ windows: Window[]; graceMs: number }>((resolve) =>
  process.on("message", (message: { type: string; windows: Window[]; graceMs: number }) => message.type === "report" && resolve(message)),
);
for (const timer of timers) clearInterval(timer);
// Every caller hangs up at once; a product too busy to take the `completed` callbacks within graceMs is not waited for.
const hangUpFailures: string[] = [];
let hungUp = 0;
await Promise.race([
  Promise.all(calls.map((call) => call.hangUp().then(() => void hungUp++, (error: unknown) => void hangUpFailures.push(String(error))))),
  new Promise((resolve) => setTimeout(resolve, graceMs)),
]);

const result: Record<string, unknown> = {};
for (const window of windows) {
  const seconds = (window.to - window.from) / 1000;
  result[window.name] = {
    seconds: Math.round(seconds * 10) / 10,
    frames_expected_per_direction: Math.round(request.calls * 50 * seconds),
    twilio_to_realtime: percentiles(inbound.within(window.from, window.to)),
    realtime_to_twilio: percentiles(outbound.within(window.from, window.to)),
    load_process_event_loop_delay_ms: percentiles(loopDelay.within(window.from, window.to)),
  };
}
process.send?.({ type: "result", windows: result, measuring_process_scheduling: measuringScheduling, realtime_sessions: realtimeSessions, churn_sessions: churnSessions, hung_up: hungUp, hang_up_failures: hangUpFailures.slice(0, 5) });
setTimeout(() => process.exit(0), 200);
