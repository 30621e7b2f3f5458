import { and, asc, count, desc, eq, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { VoiceCall, callTranscripts, voiceCalls as voiceCallsTable } from "../schema";
import type { Executor } from "../executor";
import { rawRun, timeValue, withJsonKey } from "../prepared";

export async function findCall(q: Executor, id: number): Promise<VoiceCall | undefined> {
  const { voiceCalls } = q.t;
  const [row] = await q.db.select().from(voiceCalls).where(eq(voiceCalls.id, id));
  return row;
}

export async function listCallsForLead(q: Executor, leadId: number): Promise<VoiceCall[]> {
  const { voiceCalls } = q.t;
  return q.db.select().from(voiceCalls).where(eq(voiceCalls.lead_id, leadId)).orderBy(desc(voiceCalls.created_at), desc(voiceCalls.id));
}

/** In the order the lines were spoken: item order where the bridge knew it, then time of writing. */
export async function listTranscript(q: Executor, callId: number) {
  const { callTranscripts } = q.t;
  return q.db
    .select()
    .from(callTranscripts)
    .where(eq(callTranscripts.call_id, callId))
    .orderBy(sql`${callTranscripts.position} IS NULL`, asc(callTranscripts.position), asc(callTranscripts.at), asc(callTranscripts.id));
}

export async function insertCall(q: Executor, values: typeof voiceCallsTable.$inferInsert): Promise<VoiceCall> {
  const [row] = await q.db.insert(q.t.voiceCalls).values(values).returning();
  return row!;
}

export async function updateCallRow(q: Executor, id: number, values: Partial<typeof voiceCallsTable.$inferInsert>): Promise<VoiceCall> {
  const { voiceCalls } = q.t;
  const [row] = await q.db.update(voiceCalls).set(values).where(eq(voiceCalls.id, id)).returning();
  return row!;
}

export async function findCallBySid(q: Executor, sid: string): Promise<VoiceCall | undefined> {
  const { voiceCalls } = q.t;
  const [row] = await q.db.select().from(voiceCalls).where(eq(voiceCalls.provider_call_sid, sid));
  return row;
}

const ACTIVE = ["queued", "initiated", "ringing", "in_progress"] as const;

export async function countActiveCalls(q: Executor, leadId?: number): Promise<number> {
  const { voiceCalls } = q.t;
  const active = inArray(voiceCalls.status, [...ACTIVE]);
  const [row] = await q.db
    .select({ n: count() })
    .from(voiceCalls)
    .where(leadId === undefined ? active : and(active, eq(voiceCalls.lead_id, leadId)));
  return row?.n ?? 0;
}

export async function insertTranscript(q: Executor, values: typeof callTranscripts.$inferInsert): Promise<void> {
  await q.db.insert(q.t.callTranscripts).values(values);
}

/** An interrupted agent line keeps only what the caller heard; null deletes it (nothing was heard). */
export async function replaceTranscriptText(q: Executor, callId: number, itemId: string, text: string | null): Promise<void> {
  const { callTranscripts } = q.t;
  const line = and(eq(callTranscripts.call_id, callId), eq(callTranscripts.item_id, itemId));
  if (text === null) await q.db.delete(callTranscripts).where(line);
  else await q.db.update(callTranscripts).set({ text }).where(line);
}

/**
 * Claims a call's media stream: only a call we placed or answered, with this
 * CallSid, not finished and not already streaming. One UPDATE, so two
 * connections naming the same call cannot both win.
 */
export async function claimCallStream(q: Executor, callId: number, callSid: string, now: Date): Promise<VoiceCall | undefined> {
  const { voiceCalls } = q.t;
  const [row] = await q.db
    .update(voiceCalls)
    .set({ stream_claimed_at: now, started_at: sql`COALESCE(${voiceCalls.started_at}, ${timeValue(q, now)})`, updated_at: now })
    .where(
      and(
        eq(voiceCalls.id, callId),
        eq(voiceCalls.provider_call_sid, callSid),
        isNull(voiceCalls.stream_claimed_at),
        inArray(voiceCalls.status, [...ACTIVE]),
      ),
    )
    .returning();
  return row;
}

/**
 * The call's outcome next to the campaign step that placed it. The step names the call once its
 * own outcome is recorded; a call that ends before that finds the step still in flight for its
 * lead and campaign (the step's outcome is then merged in beside it).
 */
export async function recordCampaignCallOutcome(q: Executor, call: { id: number; lead_id: number; campaign_id: number }, outcome: Record<string, unknown>): Promise<void> {
  // The call id is stored as a JSON number: SQLite's json_extract answers it as one, PostgreSQL's ->> as text.
  const namesCall = q.dialect === "sqlite" ? sql`json_extract(detail, '$.call_id') = ${call.id}` : sql`detail->>'call_id' = ${String(call.id)}`;
  const stillInFlight = sql`(status = 'in_flight' AND lead_id = ${call.lead_id} AND campaign_id = ${call.campaign_id})`;
  await rawRun(
    q,
    sql`UPDATE campaign_logs SET detail = ${withJsonKey(q, "detail", "call_outcome", outcome)}
         WHERE action = 'start_call' AND (${namesCall} OR (detail IS NULL AND ${stillInFlight}))`,
  );
}

/**
 * Calls whose audio started but were never finalised, and that no process can
 * still be streaming: started longer ago than the longest call allows.
 */
export async function selectAbandonedCalls(q: Executor, startedBefore: Date): Promise<VoiceCall[]> {
  const { voiceCalls } = q.t;
  return q.db
    .select()
    .from(voiceCalls)
    .where(and(isNotNull(voiceCalls.started_at), isNull(voiceCalls.summary), lt(voiceCalls.started_at, startedBefore)));
}
