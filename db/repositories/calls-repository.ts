import { asc, desc, eq } from "drizzle-orm";
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
