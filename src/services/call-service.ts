/**
 * Voice calls: history and details now. Placing calls needs a voice provider
 * (Twilio + OpenAI Realtime); until one is configured, initiating a call is
 * refused with a 503 that says what to configure.
 */
import { findCall, listCallsForLead, listTranscript } from "../../db/repositories/calls-repository";
import { findCampaign } from "../../db/repositories/campaigns-repository";
import { findLead } from "../../db/repositories/leads-repository";
import { NotFoundError, UnavailableError } from "../errors";
import type { AgentType } from "../domain/vocabulary";
import type { ServiceDeps } from "./context";

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

export function createCallService({ db }: ServiceDeps) {
  return {
    initiateCall(request: CallRequest): never {
      if (!findLead(db, request.lead_id)) throw new NotFoundError("un lead", request.lead_id);
      if (request.campaign_id != null && !findCampaign(db, request.campaign_id)) {
        throw new NotFoundError("una campaña", request.campaign_id);
      }
      throw new UnavailableError(NO_VOICE_PROVIDER_MESSAGE);
    },

    listCallsForLead(leadId: number) {
      if (!findLead(db, leadId)) throw new NotFoundError("un lead", leadId);
      return listCallsForLead(db, leadId);
    },

    getCallWithTranscript(id: number) {
      const call = findCall(db, id);
      if (!call) throw new NotFoundError("una llamada", id);
      return { ...call, transcript: listTranscript(db, id) };
    },
  };
}

export type CallService = ReturnType<typeof createCallService>;
