/**
 * What a call leaves behind: its transcript as it happens, and at the end a
 * summary, the facts (merged into the lead, never wiping known ones) and the
 * stage move the rules allow.
 */
import {
  claimCallStream,
  findCall,
  insertTranscript,
  listTranscript,
  recordCampaignCallOutcome,
  replaceTranscriptText,
  selectAbandonedCalls,
  updateCallRow,
} from "../../db/repositories/calls-repository";
import { findLead } from "../../db/repositories/leads-repository";
import { insertAudit } from "../../db/repositories/audit-repository";
import type { Lead, VoiceCall } from "../../db/schema";
import { leadFactsSchema, type LeadFacts } from "../agents/lead-facts";
import type { CallSummarizer } from "../agents/call-summarizer";
import { applyApprovalRule } from "./approval";
import { mergeFacts } from "../domain/fact-merge";
import { isProfileComplete } from "../domain/qualification";
import type { ServiceDeps } from "./context";
import type { LeadFields, LeadService } from "./lead-service";
import type { PipelineService } from "./pipeline-service";

export const VOICE_ACTOR = "voice:call";

export type CallFinalizedListener = (call: VoiceCall) => void;

export function createCallResultsService({ db, clock }: ServiceDeps, leads: LeadService, pipeline: PipelineService, summarizer: CallSummarizer) {
  const listeners: CallFinalizedListener[] = [];
  const finalizing = new Set<number>();

  /** Facts into the lead: checked by the chat's schema, merged, and the moves they allow. */
  async function applyFacts(leadId: number, facts: LeadFacts): Promise<Record<string, unknown>> {
    const lead = await db.run((q) => findLead(q, leadId));
    if (!lead) return {};
    const checked = leadFactsSchema.safeParse(facts);
    if (!checked.success) return {};
    const learned = mergeFacts(lead, checked.data);
    if (Object.keys(learned).length) await leads.updateLead(leadId, learned as LeadFields, VOICE_ACTOR);
    return learned;
  }

  return {
    /** Called once per call after it was finalised (the bot tells the admins). */
    onCallFinalized(listener: CallFinalizedListener): void {
      listeners.push(listener);
    },

    /** One line as it was spoken: its item, its place in the conversation and its offset in the call's audio. */
    async recordUtterance(callId: number, line: { speaker: "agent" | "lead"; text: string; itemId?: string; position?: number; offsetMs?: number }): Promise<void> {
      const text = line.text.trim();
      if (!text) return;
      const now = clock.now();
      await db.run(async (q) => {
        const started = line.offsetMs === undefined ? (await findCall(q, callId))?.started_at : undefined;
        const offset = line.offsetMs ?? (started ? Math.max(0, now.getTime() - started.getTime()) : null);
        await insertTranscript(q, { call_id: callId, speaker: line.speaker, text, offset_ms: offset, item_id: line.itemId ?? null, position: line.position ?? null, at: now });
      });
    },

    /** The caller interrupted: the agent's line keeps what was heard (null: nothing was). */
    async replaceUtterance(callId: number, itemId: string, text: string | null): Promise<void> {
      await db.run((q) => replaceTranscriptText(q, callId, itemId, text));
    },

    /** `guardar_datos` from the voice agent. Returns what was saved (for the model's function output). */
    async saveFacts(callId: number, facts: unknown): Promise<Record<string, unknown>> {
      const call = await db.run((q) => findCall(q, callId));
      const parsed = leadFactsSchema.safeParse(facts);
      if (!call || !parsed.success) return {};
      return applyFacts(call.lead_id, parsed.data);
    },

    /**
     * A Media Stream's `start` names a call: accepted only for a call we placed
     * or answered, with the same CallSid, still in progress and not already
     * streaming. The claim and the call's start time are one write.
     */
    openStream(callId: number, callSid: string): Promise<{ call: VoiceCall; lead: Lead } | null> {
      return db.transaction(async (tx) => {
        const call = await claimCallStream(tx, callId, callSid, clock.now());
        const lead = call && (await findLead(tx, call.lead_id));
        return call && lead ? { call, lead } : null;
      });
    },

    /**
     * Finalises calls a dead process left behind (killed mid-call): any call
     * started longer ago than the longest call allows and still without results.
     */
    async finalizeAbandoned(maxCallMinutes: number): Promise<number> {
      // The longest call, plus the time its polite close may take (a short limit gets a short grace).
      const maxMs = maxCallMinutes * 60_000;
      const cutoff = new Date(clock.now().getTime() - maxMs - Math.min(15_000, maxMs));
      const abandoned = await db.run((q) => selectAbandonedCalls(q, cutoff));
      for (const call of abandoned) await this.finalize(call.id, "proceso interrumpido");
      return abandoned.length;
    },

    /** The call is over (stream stopped, dropped, or timed out): summary, facts, stage. Runs once per call. */
    async finalize(callId: number, endReason: string): Promise<VoiceCall | null> {
      // Marked before the call is read (reading awaits): a second finalize of the call meanwhile stops here.
      if (finalizing.has(callId)) return (await db.run((q) => findCall(q, callId))) ?? null;
      finalizing.add(callId);
      try {
        const call = await db.run((q) => findCall(q, callId));
        if (!call || call.summary) return call ?? null;
        const transcript = await db.run((q) => listTranscript(q, callId));
        const { summary, facts } = await summarizer.summarize(transcript, endReason);
        const learned = await applyFacts(call.lead_id, facts);
        // A call that was answered is a first contact; a complete profile moves on too (at most these two steps).
        for (let step = 0; step < 2; step++) {
          const lead = await db.run((q) => findLead(q, call.lead_id));
          if (!lead || !(lead.pipeline_stage === "entrada" || (lead.pipeline_stage === "perfilamiento" && isProfileComplete(lead)))) break;
          if (!(await pipeline.autoAdvance(lead.id, VOICE_ACTOR)).moved) break;
        }
        // What the lead said about paying may decide its approval, as in chat.
        await applyApprovalRule(db, clock, call.lead_id);
        const now = clock.now();
        // The summary, its audit entry and the campaign step's outcome are written together.
        const updated = await db.transaction(async (q) => {
          const row = await updateCallRow(q, callId, { summary, extracted: { ...facts }, ended_at: call.ended_at ?? now, updated_at: now });
          await insertAudit(q, { actor: VOICE_ACTOR, action: "call.finalized", entity: "call", entity_id: callId, after: { end_reason: endReason, learned } }, now);
          // The campaign step that placed the call gets its outcome next to it.
          if (call.campaign_id !== null) {
            await recordCampaignCallOutcome(q, { id: callId, lead_id: call.lead_id, campaign_id: call.campaign_id }, { end_reason: endReason, summary, learned: Object.keys(learned) });
          }
          return row;
        });
        for (const listener of listeners) {
          try {
            listener(updated);
          } catch {
            // a listener's failure (e.g. Telegram down) never undoes the call's results
          }
        }
        return updated;
      } finally {
        finalizing.delete(callId);
      }
    },
  };
}

export type CallResultsService = ReturnType<typeof createCallResultsService>;
