/**
 * Voice calls: placing one (after every check a real agency needs), following
 * its status from the provider's callbacks (never backwards), inbound calls,
 * and the history. Without a voice provider, initiating answers 503 with what
 * to configure.
 */
import { insertAudit } from "../../db/repositories/audit-repository";
import {
  countActiveCalls,
  findCall,
  findCallBySid,
  insertCall,
  listCallsForLead,
  listTranscript,
  updateCallRow,
} from "../../db/repositories/calls-repository";
import { listCallTimesSince } from "../../db/repositories/call-metrics-repository";
import { findCampaign } from "../../db/repositories/campaigns-repository";
import { findLead, findLeadByPhone } from "../../db/repositories/leads-repository";
import type { Executor } from "../../db/executor";
import { lockUntilCommit } from "../../db/repositories/locks-repository";
import { isUniqueViolation } from "../../db/unique-violation";
import type { Lead, VoiceCall } from "../../db/schema";
import type { CallPlacer } from "../../voice/calls";
import { fromTwilioStatus, nextCallStatus } from "../domain/call-status";
import { bucketByLocalDay, lastLocalDays, type DayCount } from "../domain/daily-buckets";
import { isQuietTime, quietWindowEnd, type QuietWindow } from "../domain/quiet-hours";
import { formatAppointmentDate } from "../domain/templates";
import type { AgentType } from "../domain/vocabulary";
import { ConflictError, NotFoundError, ProviderError, TooManyError, UnavailableError } from "../errors";
import type { ServiceDeps } from "./context";
import type { LeadService } from "./lead-service";

export interface CallRequest {
  lead_id: number;
  campaign_id?: number | null | undefined;
  agent_type: AgentType;
  context?: string | null | undefined;
  force?: boolean | undefined;
}

export const NO_VOICE_PROVIDER_MESSAGE =
  "Las llamadas no están disponibles: no hay proveedor de voz configurado. " +
  "Define VOICE_PROVIDER=twilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER y WEBHOOK_BASE_URL.";

const E164 = /^\+[1-9]\d{7,14}$/;

export interface VoiceSettings {
  placer: CallPlacer;
  quietHours: QuietWindow | null;
  maxConcurrentCalls: number;
}

/** What a provider's status callback says about a call. */
export interface StatusReport {
  callId?: number | undefined;
  callSid: string;
  status: string;
  durationSeconds?: number | undefined;
  answeredBy?: string | undefined;
  errorMessage?: string | undefined;
}

export function createCallService({ db, clock, timeZone }: ServiceDeps, voice: VoiceSettings | null, leads: LeadService) {
  async function requireLead(q: Executor, id: number): Promise<Lead> {
    const lead = await findLead(q, id);
    if (!lead) throw new NotFoundError("un lead", id);
    return lead;
  }

  /** Every reason not to dial now, in the order an admin should hear them. */
  async function assertCallable(q: Executor, lead: Lead, force: boolean): Promise<void> {
    if (!lead.phone || !E164.test(lead.phone)) throw new ConflictError("El lead no tiene un teléfono válido en formato E.164");
    if (lead.opted_out) throw new ConflictError("El lead pidió no recibir llamadas (dado de baja)");
    const zone = lead.timezone ?? timeZone;
    const now = clock.now();
    if (!force && voice && isQuietTime(now, zone, voice.quietHours)) {
      const opens = formatAppointmentDate(quietWindowEnd(now, zone, voice.quietHours), zone);
      throw new ConflictError(`Fuera del horario de llamadas del lead; se puede llamar desde el ${opens} (o usa "force": true)`);
    }
    if ((await countActiveCalls(q, lead.id)) > 0) throw new ConflictError("El lead ya tiene una llamada en curso");
    if (voice && (await countActiveCalls(q)) >= voice.maxConcurrentCalls) {
      throw new TooManyError(`Se alcanzó el límite de ${voice.maxConcurrentCalls} llamadas simultáneas; inténtalo en unos minutos`);
    }
  }

  return {
    /** Places an AI call; the row is written first (queued), so callbacks always find it. */
    async initiateCall(request: CallRequest, actor = "api:admin"): Promise<VoiceCall> {
      // The checks and the queued row in one transaction, under one lock for every placement:
      // two requests at once cannot both pass the call limits (db/repositories/locks-repository.ts).
      const { call, placer } = await db.transaction(async (tx) => {
        await lockUntilCommit(tx, "call-placement");
        const lead = await requireLead(tx, request.lead_id);
        if (request.campaign_id != null && !(await findCampaign(tx, request.campaign_id))) throw new NotFoundError("una campaña", request.campaign_id);
        if (!voice) throw new UnavailableError(NO_VOICE_PROVIDER_MESSAGE);
        const placer = voice.placer;
        await assertCallable(tx, lead, request.force === true);
        const now = clock.now();
        const call = await insertCall(tx, {
          lead_id: lead.id,
          campaign_id: request.campaign_id ?? null,
          agent_type: request.agent_type,
          direction: "outbound",
          status: "queued",
          provider: placer.provider,
          to_number: lead.phone,
          from_number: placer.fromNumber,
          context: request.context ?? null,
          created_at: now,
          updated_at: now,
        });
        await insertAudit(tx, { actor, action: "call.initiate", entity: "call", entity_id: call.id, after: { lead_id: lead.id, agent_type: request.agent_type, forced: request.force === true } }, now);
        return { call, placer };
      });
      try {
        const placed = await placer.place({ callId: call.id, to: call.to_number! });
        return await db.run((q) =>
          updateCallRow(q, call.id, {
            provider_call_sid: placed.sid,
            status: nextCallStatus(call.status, fromTwilioStatus(placed.status) ?? "queued"),
            updated_at: clock.now(),
          }),
        );
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await db.run((q) => updateCallRow(q, call.id, { status: "failed", failure_reason: reason.slice(0, 500), ended_at: clock.now(), updated_at: clock.now() }));
        throw new ProviderError(`El proveedor de voz rechazó la llamada: ${reason}`);
      }
    },

    /** A status callback: stored only if it moves the call forward; duplicates and late events change nothing. */
    applyStatus(report: StatusReport): Promise<VoiceCall | null> {
      // The read and the write in one transaction, locked per call: two callbacks at once cannot move it backwards.
      return db.transaction(async (q) => {
        await lockUntilCommit(q, `call:${report.callSid}`);
        const call = (report.callId !== undefined ? await findCall(q, report.callId) : undefined) ?? (await findCallBySid(q, report.callSid));
        if (!call || (call.provider_call_sid && call.provider_call_sid !== report.callSid)) return null;
        const reported = fromTwilioStatus(report.status);
        if (!reported) return call;
        const status = nextCallStatus(call.status, reported);
        if (status === call.status && call.provider_call_sid) return call;
        const now = clock.now();
        return updateCallRow(q, call.id, {
          status,
          provider_call_sid: report.callSid,
          ...(status === "in_progress" && !call.started_at && { started_at: now }),
          ...(["completed", "busy", "no_answer", "failed", "canceled"].includes(status) && {
            ended_at: call.ended_at ?? now,
            duration_seconds: report.durationSeconds ?? call.duration_seconds,
          }),
          ...(["busy", "no_answer", "failed", "canceled"].includes(status) && { failure_reason: report.errorMessage ?? status }),
          ...(report.answeredBy && { answered_by: report.answeredBy }),
          updated_at: now,
        });
      });
    },

    /** An answering machine picked up: noted on the call. */
    async recordAnsweredBy(callId: number, answeredBy: string): Promise<void> {
      await db.run(async (q) => {
        // One write, whatever runs beside it: nothing read is written back.
        if (await findCall(q, callId)) await updateCallRow(q, callId, { answered_by: answeredBy, updated_at: clock.now() });
      });
    },

    /** Someone called our number: matched to a lead by phone, or a new lead from "llamada_entrante". */
    async receiveInboundCall(callSid: string, from: string, to: string): Promise<VoiceCall> {
      const existing = await db.run((q) => findCallBySid(q, callSid));
      if (existing) return existing;
      const phone = from.replace(/[^\d+]/g, "");
      const lead =
        (await db.run((q) => findLeadByPhone(q, phone))) ??
        (await leads.createLead({ phone: E164.test(phone) ? phone : null, source: "llamada_entrante" }, "voice:inbound"));
      const now = clock.now();
      try {
        return await db.run((q) =>
          insertCall(q, {
            lead_id: lead.id,
            agent_type: "perfilador",
            direction: "inbound",
            status: "in_progress",
            provider: "twilio",
            provider_call_sid: callSid,
            to_number: to,
            from_number: phone,
            started_at: now,
            created_at: now,
            updated_at: now,
          }),
        );
      } catch (error) {
        // Twilio's retry of this webhook, handled at the same moment on another instance, stored it first.
        const stored = isUniqueViolation(error) ? await db.run((q) => findCallBySid(q, callSid)) : undefined;
        if (stored) return stored;
        throw error;
      }
    },

    listCallsForLead(leadId: number) {
      return db.run(async (q) => {
        await requireLead(q, leadId);
        return listCallsForLead(q, leadId);
      });
    },

    getCall: (id: number) => db.run((q) => findCall(q, id)),

    /** Calls created on each of the last `days` days (the agency's local days, today included), oldest first. */
    async countCallsPerDay(days = 30): Promise<DayCount[]> {
      const range = lastLocalDays(clock.now(), days, timeZone);
      const times = await db.run((q) => listCallTimesSince(q, range.since));
      return bucketByLocalDay(times, range.days, timeZone);
    },

    getCallWithTranscript(id: number) {
      return db.run(async (q) => {
        const call = await findCall(q, id);
        if (!call) throw new NotFoundError("una llamada", id);
        return { ...call, transcript: await listTranscript(q, id) };
      });
    },
  };
}

export type CallService = ReturnType<typeof createCallService>;
