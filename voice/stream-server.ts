/**
 * The Media Streams WebSocket at /voice/stream, on the API's own HTTP server.
 * A stream is accepted only when its `start` names a call we placed or
 * answered that is still in progress; anything else is closed.
 */
import type { Server } from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { findLead } from "../db/repositories/leads-repository";
import type { Db } from "../db/client";
import { renderVoicePrompt } from "../src/agents/prompts";
import { isTerminal } from "../src/domain/call-status";
import type { AgentType } from "../src/domain/vocabulary";
import type { Logger } from "../src/logger";
import type { CallService } from "../src/services/call-service";
import type { CallResultsService } from "../src/services/call-results-service";
import { runBridge, type BridgeDeps, type BridgeHandle, type RealtimeSettings } from "./bridge";
import { parseTwilioMessage } from "./twilio-protocol";

export interface StreamServerDeps extends Pick<BridgeDeps, "sayAndHangUp" | "booking" | "timeZone"> {
  db: Db;
  calls: CallService;
  results: CallResultsService;
  realtime: RealtimeSettings;
  agencyName: string;
  log: Logger;
}

const START_TIMEOUT_MS = 10_000;
/** WebSocket close code for a policy violation: not a stream we expect. */
const POLICY_VIOLATION = 1008;

export interface StreamServer {
  /** Ends every call in progress politely (a last spoken line from Twilio), finalising each, and closes the server. */
  shutdown(): Promise<void>;
}

const SHUTDOWN_LINE = "Tenemos que terminar la llamada por ahora. Te contactaremos pronto. ¡Gracias!";

export function attachStreamServer(server: Server, deps: StreamServerDeps): StreamServer {
  const wss = new WebSocketServer({ noServer: true });
  const active = new Set<BridgeHandle>();
  server.on("upgrade", (request, socket, head) => {
    if (new URL(request.url ?? "/", "http://local").pathname !== "/voice/stream") return;
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws));
  });

  function accept(ws: WebSocket): void {
    const timer = setTimeout(() => ws.close(POLICY_VIOLATION, "no start"), START_TIMEOUT_MS);
    const early: string[] = [];
    const onMessage = (data: Buffer) => {
      const raw = data.toString();
      const message = parseTwilioMessage(raw);
      if (!message) return deps.log.warn("unreadable Media Streams frame before start skipped");
      if (message.event === "connected") return;
      if (message.event !== "start") return void early.push(raw);
      clearTimeout(timer);
      ws.off("message", onMessage);
      const callId = Number(message.start.customParameters.call_id);
      const call = Number.isInteger(callId) ? deps.calls.getCall(callId) : undefined;
      const ours = call && (!call.provider_call_sid || call.provider_call_sid === message.start.callSid);
      if (!call || !ours || isTerminal(call.status)) {
        deps.log.warn({ call_id: Number.isInteger(callId) ? callId : null }, "media stream for an unknown or finished call closed");
        return ws.close(POLICY_VIOLATION, "unknown call");
      }
      const lead = findLead(deps.db, call.lead_id);
      if (!lead) return ws.close(POLICY_VIOLATION, "unknown lead");
      deps.results.markStreaming(call.id);
      const agent = (message.start.customParameters.agent ?? call.agent_type) as AgentType;
      const handle = runBridge(ws, { callId: call.id, leadId: lead.id, callSid: message.start.callSid, streamSid: message.start.streamSid, instructions: renderVoicePrompt(agent, lead, deps.agencyName) }, deps);
      active.add(handle);
      ws.once("close", () => active.delete(handle));
      // Frames that raced ahead of `start` are replayed into the bridge.
      for (const frame of early) ws.emit("message", Buffer.from(frame));
    };
    ws.on("message", onMessage);
    ws.on("close", () => clearTimeout(timer));
  }

  return {
    async shutdown() {
      await Promise.allSettled(
        [...active].map(async (handle) => {
          await deps.sayAndHangUp(handle.callSid, SHUTDOWN_LINE).catch((error) => deps.log.warn({ err: error }, "could not end a call politely"));
          handle.finish("servidor detenido");
          await handle.finalized();
        }),
      );
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
