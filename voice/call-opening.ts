/**
 * A call's start, done by the product on behalf of the stream server: the
 * stream's claim on the call (one write with its start time) and the voice
 * agent's prompt for the lead. It reads the database, so with the live-audio
 * process it runs in the product process, and the audio process only gets
 * what the bridge needs.
 */
import { renderVoicePrompt } from "../src/agents/prompts";
import { agentTypeOrDefault } from "../src/domain/vocabulary";
import type { CallResultsService } from "../src/services/call-results-service";
import type { OpenedCall } from "./stream-server";

export function createCallOpening(results: Pick<CallResultsService, "openStream">, agencyName: string) {
  return async function openCall(callId: number, callSid: string): Promise<OpenedCall | null> {
    const opened = await results.openStream(callId, callSid);
    if (!opened) return null;
    return {
      callId: opened.call.id,
      leadId: opened.lead.id,
      instructions: renderVoicePrompt(agentTypeOrDefault(opened.call.agent_type), opened.lead, agencyName),
    };
  };
}
