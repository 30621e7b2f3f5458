import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { callTranscripts, voiceCalls, type VoiceCall } from "../schema";
import type { Executor } from "../executor";

export function findCall(db: Executor, id: number): VoiceCall | undefined {
  return db.select().from(voiceCalls).where(eq(voiceCalls.id, id)).get();
}

export function listCallsForLead(db: Executor, leadId: number): VoiceCall[] {
  return db.select().from(voiceCalls).where(eq(voiceCalls.lead_id, leadId)).orderBy(desc(voiceCalls.created_at), desc(voiceCalls.id)).all();
}

/** In the order the lines were spoken: item order where the bridge knew it, then time of writing. */
export function listTranscript(db: Executor, callId: number) {
  return db
    .select()
    .from(callTranscripts)
    .where(eq(callTranscripts.call_id, callId))
    .orderBy(sql`${callTranscripts.position} IS NULL`, asc(callTranscripts.position), asc(callTranscripts.at), asc(callTranscripts.id))
    .all();
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

/** An interrupted agent line keeps only what the caller heard; null deletes it (nothing was heard). */
export function replaceTranscriptText(db: Executor, callId: number, itemId: string, text: string | null): void {
  const line = and(eq(callTranscripts.call_id, callId), eq(callTranscripts.item_id, itemId));
  if (text === null) db.delete(callTranscripts).where(line).run();
  else db.update(callTranscripts).set({ text }).where(line).run();
}

/**
 * Claims a call's media stream: only a call we placed or answered, with this
 * CallSid, not finished and not already streaming. One UPDATE, so two
 * connections naming the same call cannot both win.
 */
export function claimCallStream(db: Executor, callId: number, callSid: string, now: Date): VoiceCall | undefined {
  return db
    .update(voiceCalls)
    .set({ stream_claimed_at: now, started_at: sql`COALESCE(${voiceCalls.started_at}, ${now.getTime()})`, updated_at: now })
    .where(
      and(
        eq(voiceCalls.id, callId),
        eq(voiceCalls.provider_call_sid, callSid),
        sql`${voiceCalls.stream_claimed_at} IS NULL`,
        inArray(voiceCalls.status, [...ACTIVE]),
      ),
    )
    .returning()
    .get();
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
