/**
 * The load side of `npm run bench:voice`, in its own process: N Twilio Media
 * Streams clients and a fake OpenAI Realtime server. Every 20 ms each call sends
 * a caller frame and the fake model sends an audio delta. The send time travels
 * inside the audio bytes (the bridge passes μ-law through untouched), so both
 * added latencies are measured on this process's clock: Twilio frame in →
 * Realtime append out, and model delta in → Twilio media out.
 * Protocol over IPC: it sends {type: "realtime", url}, receives {streamUrl,
 * firstCallId, calls, seconds}, and answers {type: "result", …}.
 */
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";


const stamp = () => {
  const frame = Buffer.alloc(160, 0xff);
  frame.writeDoubleLE(performance.now(), 0);
  return frame.toString("base64");
};
const age = (payload: string) => performance.now() - Buffer.from(payload, "base64").readDoubleLE(0);

const inbound: number[] = [];
const outbound: number[] = [];
const realtimeSockets: WebSocket[] = [];

const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
wss.on("connection", (ws) => {
  realtimeSockets.push(ws);
  ws.on("message", (data) => {
    const event = JSON.parse(data.toString()) as { type: string; audio?: string };
    if (event.type === "input_audio_buffer.append" && event.audio) inbound.push(age(event.audio));
  });
});
process.send?.({ type: "realtime", url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/realtime` });
const { streamUrl, firstCallId, calls, seconds } = await new Promise<{ streamUrl: string; firstCallId: number; calls: number; seconds: number }>((resolve) =>
  process.once("message", (message) => resolve(message as { streamUrl: string; firstCallId: number; calls: number; seconds: number })),
);

const twilioSockets: WebSocket[] = [];
for (let i = 0; i < calls; i++) {
  const ws = new WebSocket(streamUrl);
  await new Promise<void>((resolve) => ws.once("open", () => resolve()));
  const streamSid = `MZbench${i}`;
  ws.send(JSON.stringify({ event: "connected", protocol: "Call", version: "1.0.0" }));
  ws.send(JSON.stringify({
    event: "start",
    sequenceNumber: "1",
    streamSid,
    start: { accountSid: "ACbench", streamSid, callSid: `CAbench${i}`, tracks: ["inbound"], customParameters: { call_id: String(firstCallId + i), agent: "perfilador" }, mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 } },
  }));
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as { event: string; media?: { payload: string } };
    if (message.event === "media" && message.media) outbound.push(age(message.media.payload));
  });
  twilioSockets.push(ws);
}
while (realtimeSockets.length < calls) await new Promise((resolve) => setTimeout(resolve, 10));
await new Promise((resolve) => setTimeout(resolve, 300));
inbound.length = 0;
outbound.length = 0;

// Each call sends on its own phase of the 20 ms cycle, as real calls do, instead of all in one burst.
const started = performance.now();
let stopped = 0;
for (let i = 0; i < calls; i++) {
  let tick = 0;
  setTimeout(() => {
    const timer = setInterval(() => {
      tick++;
      twilioSockets[i]!.send(JSON.stringify({ event: "media", sequenceNumber: String(tick + 1), streamSid: `MZbench${i}`, media: { track: "inbound", chunk: String(tick), timestamp: String(tick * 20), payload: stamp() } }));
      realtimeSockets[i]!.send(JSON.stringify({ type: "response.output_audio.delta", response_id: "r", item_id: `item_${i}`, output_index: 0, content_index: 0, delta: stamp() }));
      if (performance.now() - started > seconds * 1000) {
        clearInterval(timer);
        if (++stopped === calls) report();
      }
    }, 20);
  }, (i * 20) / calls);
}

function report(): void {
  setTimeout(() => {
      const q = (values: number[], p: number) => {
        const sorted = [...values].sort((a, b) => a - b);
        return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 1000) / 1000;
      };
      process.send?.({
        type: "result",
        frames_in: inbound.length,
        frames_out: outbound.length,
        inbound_ms: { p50: q(inbound, 0.5), p99: q(inbound, 0.99) },
        outbound_ms: { p50: q(outbound, 0.5), p99: q(outbound, 0.99) },
      });
      for (const ws of twilioSockets) ws.close();
      setTimeout(() => process.exit(0), 200);
    }, 300);
}
