import { z } from "zod";
import { rowId, rowIdParam } from "../common-schemas";
import { AGENT_TYPES, CALL_DIRECTIONS, CALL_STATUSES } from "../../domain/vocabulary";

export const initiateCallBody = z
  .strictObject({
    lead_id: rowId,
    campaign_id: rowId.nullable().optional(),
    agent_type: z.enum(AGENT_TYPES).default("perfilador"),
    context: z.string().max(2000).nullable().optional().describe("Nota para el agente de voz"),
    force: z.boolean().optional().describe("Ignora el horario de llamadas"),
  })
  .meta({ id: "CallInitiate" });

export const leadIdParams = z.object({ lead_id: rowIdParam });

export const callSchema = z
  .object({
    id: z.number().int(),
    lead_id: z.number().int(),
    campaign_id: z.number().int().nullable(),
    agent_type: z.string(),
    direction: z.enum(CALL_DIRECTIONS),
    status: z.enum(CALL_STATUSES),
    provider: z.string().nullable(),
    provider_call_sid: z.string().nullable(),
    answered_by: z.string().nullable(),
    duration_seconds: z.number().int().nullable(),
    failure_reason: z.string().nullable(),
    context: z.string().nullable(),
    summary: z.string().nullable(),
    extracted: z.record(z.string(), z.unknown()).nullable(),
    started_at: z.date().nullable(),
    ended_at: z.date().nullable(),
    created_at: z.date(),
    updated_at: z.date(),
  })
  .meta({ id: "VoiceCall" });

export const callWithTranscriptSchema = callSchema
  .extend({
    transcript: z.array(
      z.object({ id: z.number().int(), speaker: z.enum(["agent", "lead"]), text: z.string(), offset_ms: z.number().int().nullable(), at: z.date() }),
    ),
  })
  .meta({ id: "VoiceCallWithTranscript" });

export const initiatedCallSchema = callSchema
  .extend({ call_id: z.number().int(), call_sid: z.string().nullable().describe("CallSid de Twilio") })
  .meta({ id: "InitiatedCall" });
