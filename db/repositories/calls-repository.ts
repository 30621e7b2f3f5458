import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { callTranscripts, voiceCalls, type VoiceCall } from "../schema";
import type { Executor } from "../executor";

export function findCall(db: Executor, id: number): VoiceCall | undefined {
  return db.select().from(voiceCalls).where(eq(voiceCalls.id, id)).get();
}

export function listCallsForLead(db: Executor, leadId: number): VoiceCall[] {
  return db.select().from(voiceCalls).where(eq(voiceCalls.lead_id, leadId)).orderBy(desc(voiceCalls.created_at), desc(voiceCalls.id)).all();
}

export function listTranscript(db: Executor, callId: number) {
  return db.select().from(callTranscripts).where(eq(callTranscripts.call_id, callId)).orderBy(asc(callTranscripts.at), asc(callTranscripts.id)).all();
}

export function insertCall(db: Executor, values: typeof voiceCalls.$inferInsert): VoiceCall {
  return db.insert(voiceCalls).values(values).returning().get();
}

export function updateCallRow(db: Executor, id: number, values: Partial<typeof voiceCalls.$inferInsert>): VoiceCall {
  return db.update(voiceCalls).set(values).where(eq(voiceCalls.id, id)).returning().get()!;
}

export function findCallBySid(db: Executor, sid: string): VoiceCall | undefined {
  return db.select().from(voiceCalls).where(eq(voiceCalls.provider_call_sid, sid)).get();
}

const ACTIVE = ["queued", "initiated", "ringing", "in_progress"] as const;

export function countActiveCalls(db: Executor, leadId?: number): number {
  const active = inArray(voiceCalls.status, [...ACTIVE]);
  return db.select({ n: count() }).from(voiceCalls).where(leadId === undefined ? active : and(active, eq(voiceCalls.lead_id, leadId))).get()?.n ?? 0;
}

export function insertTranscript(db: Executor, values: typeof callTranscripts.$inferInsert): void {
  db.insert(callTranscripts).values(values).run();
}

/** Adds the call's outcome to the detail of the campaign log whose step placed it. */
export function recordCampaignCallOutcome(db: Executor, callId: number, outcome: Record<string, unknown>): void {
  db.run(sql`UPDATE campaign_logs SET detail = json_set(COALESCE(detail, '{}'), '$.call_outcome', json(${JSON.stringify(outcome)}))
              WHERE action = 'start_call' AND json_extract(detail, '$.call_id') = ${callId}`);
}

/**
 * Calls whose audio started but were never finalised, and that no process can
 * still be streaming: started longer ago than the longest call allows.
 */
export function selectAbandonedCalls(db: Executor, startedBefore: Date): VoiceCall[] {
  return db
    .select()
    .from(voiceCalls)
    .where(sql`${voiceCalls.started_at} IS NOT NULL AND ${voiceCalls.summary} IS NULL AND ${voiceCalls.started_at} < ${startedBefore.getTime()}`)
    .all();
}
