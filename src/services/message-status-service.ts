/**
 * Delivery reports for messages we sent (Twilio's status callbacks on
 * WhatsApp): stored on the message, only ever moving forward, in one
 * transaction with what they mean for the lead. A read is the lead's
 * engagement (it counts as activity); a number that cannot get WhatsApp
 * marks the lead unreachable there, so campaigns stop writing to it; a
 * failure is also written next to the campaign step that sent the message.
 */
import { recordCampaignDeliveryFailure } from "../../db/repositories/campaigns-repository";
import { setLeadFields } from "../../db/repositories/leads-repository";
import { findMessageByExternalId, updateMessageStatus } from "../../db/repositories/messages-repository";
import { nextMessageStatus } from "../domain/message-status";
import type { Channel, MessageStatus } from "../domain/vocabulary";
import type { ServiceDeps } from "./context";
import { markChannelUnreachable } from "./channel-reachability";

/** Twilio's message statuses in our vocabulary; null for the ones of inbound messages. */
const FROM_TWILIO: Record<string, MessageStatus | null> = {
  accepted: "queued",
  scheduled: "queued",
  queued: "queued",
  sending: "queued",
  sent: "sent",
  delivered: "delivered",
  read: "read",
  failed: "failed",
  undelivered: "undelivered",
  canceled: "failed",
  receiving: null,
  received: null,
};

export interface DeliveryReport {
  channel: Channel;
  externalId: string;
  status: string;
  errorCode: string | null;
  /** Provider codes that mean the number cannot receive on this channel. */
  unreachable: boolean;
}

export function createMessageStatusService({ db, clock }: ServiceDeps) {
  return {
    /** Applies one report; "unknown" when it names no message of ours (another app on the number, or one we never stored). */
    async applyReport(report: DeliveryReport): Promise<"updated" | "unchanged" | "unknown"> {
      const reported = FROM_TWILIO[report.status];
      if (!reported) return "unchanged";
      return db.transaction(async (tx): Promise<"updated" | "unchanged" | "unknown"> => {
        const message = await findMessageByExternalId(tx, report.channel, report.externalId);
        if (!message) return "unknown";
        const status = nextMessageStatus(message.status, reported);
        if (status === message.status) return "unchanged";
        const now = clock.now();
        await updateMessageStatus(tx, message.id, { status, status_at: now, error_code: report.errorCode ?? message.error_code });
        if (status === "read") await setLeadFields(tx, message.lead_id, { last_activity_at: now, updated_at: now });
        if (status === "failed" || status === "undelivered") await recordCampaignDeliveryFailure(tx, report.externalId, { status, error_code: report.errorCode });
        if ((status === "failed" || status === "undelivered") && report.unreachable) {
          await markChannelUnreachable(tx, now, message.lead_id, report.channel, `Twilio ${report.errorCode ?? status}`);
        }
        return "updated";
      });
    },
  };
}

export type MessageStatusService = ReturnType<typeof createMessageStatusService>;
