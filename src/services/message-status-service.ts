/**
 * Delivery reports for messages we sent (Twilio's status callbacks on
 * WhatsApp): stored on the message, only ever moving forward, in one
 * transaction with what they mean for the lead. A read is the lead's
 * engagement (it counts as activity); a number that cannot get WhatsApp
 * marks the lead unreachable there, so campaigns stop writing to it; a
 * failure is also written next to the campaign step that sent the message.
 * A report may come before we stored the message's id; it is held for it.
 */
import { recordCampaignDeliveryFailure } from "../../db/repositories/campaigns-repository";
import { setLeadFields } from "../../db/repositories/leads-repository";
import { writeAsOne, type Database } from "../../db/database";
import type { Executor } from "../../db/executor";
import { dropHeldReportsBefore, holdReport, takeHeldReports } from "../../db/repositories/held-reports-repository";
import { lockUntilCommit } from "../../db/repositories/locks-repository";
import {
  applyProgressReports,
  findMessageByExternalId,
  updateMessageStatus,
  type ProgressReport,
} from "../../db/repositories/messages-repository";
import type { Message } from "../../db/schema";
import { nextMessageStatus, reportsDeliveryLater, statusesMovingTo } from "../domain/message-status";
import type { Channel, MessageStatus } from "../domain/vocabulary";
import type { ServiceDeps } from "./context";
import { markChannelUnreachable } from "./channel-reachability";
import { createGroupWriterPerKey } from "../group-writer";

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

/** How long a report that names no stored message is kept, waiting for it. */
const HELD_REPORT_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Taken first by a report that does not find its message (it may hold it) and by a write that
 * gives a message its id in a transaction (a campaign step, a reminder). A chat reply's id is
 * written without it, and looks for held reports after its commit (applyHeldReportsNow).
 */
function lockExternalId(tx: Executor, channel: Channel, externalId: string): Promise<void> {
  return lockUntilCommit(tx, `delivery:${channel}:${externalId}`);
}

async function applyToMessage(tx: Executor, now: Date, message: Message, report: DeliveryReport, reported: MessageStatus): Promise<"updated" | "unchanged"> {
  const status = nextMessageStatus(message.status, reported);
  if (status === message.status) return "unchanged";
  await updateMessageStatus(tx, message.id, { status, status_at: now, error_code: report.errorCode ?? message.error_code });
  if (status === "read") await setLeadFields(tx, message.lead_id, { last_activity_at: now, updated_at: now });
  if (status === "failed" || status === "undelivered") await recordCampaignDeliveryFailure(tx, message.lead_id, report.externalId, { status, error_code: report.errorCode });
  if ((status === "failed" || status === "undelivered") && report.unreachable) {
    await markChannelUnreachable(tx, now, message.lead_id, report.channel, `Twilio ${report.errorCode ?? status}`);
  }
  return "updated";
}

/**
 * Call in the transaction that gives a message its provider id (on a channel
 * with delivery reports), after that write: applies the reports that came
 * before it. Twilio may call back before its API answer reaches us.
 */
async function applyHeldReports(tx: Executor, now: Date, channel: Channel, externalId: string): Promise<void> {
  if (!reportsDeliveryLater(channel)) return;
  await lockExternalId(tx, channel, externalId);
  const held = await takeHeldReports(tx, channel, externalId);
  if (held.length === 0) return;
  for (const report of held) {
    const message = await findMessageByExternalId(tx, channel, externalId);
    if (!message) return;
    const delivery: DeliveryReport = { channel, externalId, status: report.status, errorCode: report.error_code, unreachable: report.unreachable };
    await applyToMessage(tx, now, message, delivery, report.status);
  }
}

/**
 * Applies the reports held for a provider id that a message took (committed
 * before this is called), each once, under the id's lock: whichever side comes
 * second (the message's write or a report's hold) finds the other's committed
 * write and calls this (see ChatMessageWrites.markSent and applyReport).
 */
export function applyHeldReportsNow(db: Database, now: Date, channel: Channel, externalId: string): Promise<void> {
  return db.transaction((tx) => applyHeldReports(tx, now, channel, externalId));
}

/**
 * Runs `write`, which gives a message its provider id, and applies the reports
 * held for that id in the same transaction. On a channel with no later reports
 * (Telegram) it is the write alone, with no transaction around it.
 */
export async function writeProviderId(db: Database, at: Date, channel: Channel, externalId: string, write: (q: Executor) => Promise<unknown>): Promise<void> {
  if (!reportsDeliveryLater(channel)) {
    await db.run(write);
    return;
  }
  await db.transaction(async (tx) => {
    await write(tx);
    await applyHeldReports(tx, at, channel, externalId);
  });
}

/**
 * The failure the provider already reported for a message we sent, if any.
 * Call in the transaction that writes the message's id next to what sent it
 * (a campaign step): under the same lock as the reports, so a failure is
 * either seen here or finds that write when it is applied.
 */
export async function deliveryFailureOf(tx: Executor, channel: Channel, externalId: string): Promise<{ status: MessageStatus; error_code: string | null } | null> {
  await lockExternalId(tx, channel, externalId);
  const message = await findMessageByExternalId(tx, channel, externalId);
  if (message?.status !== "failed" && message?.status !== "undelivered") return null;
  return { status: message.status, error_code: message.error_code };
}

/** Statuses a report may give a stored message by itself, with nothing else to record (a failure records more). */
const PROGRESS: ReadonlySet<MessageStatus> = new Set(["queued", "sent", "delivered", "read"]);

/** A usual report's outcome; null when it needs the locked path (see applyUsual). */
type UsualOutcome = "updated" | "unchanged" | null;

/**
 * Usual reports of one channel applied as one group. One report per message goes in the group;
 * a second report of a message in it takes the locked path, once the group is written.
 */
async function applyUsualGroup(q: Executor, channel: Channel, reports: readonly ProgressReport[]): Promise<UsualOutcome[]> {
  const seen = new Set<string>();
  const firsts = reports.filter((report) => !seen.has(report.externalId) && seen.add(report.externalId));
  const outcomes = new Map(
    (await applyProgressReports(q, channel, firsts, statusesMovingTo)).map((outcome, i) => [firsts[i]!, outcome === "missing" ? null : outcome] as const),
  );
  return reports.map((report) => outcomes.get(report) ?? null);
}

export function createMessageStatusService({ db, clock }: ServiceDeps) {
  // Reports come three per message sent (sent, delivered, read), each its own request: those of
  // the moment are applied together (group-writer.ts). On PostgreSQL a group is one statement
  // that finds the messages and moves them (before, a read and a write of their own: three
  // statements a message in bench:whatsapp). On SQLite the group's read and writes are one
  // transaction: a read of its own would wait in the database's queue and end the group commit
  // that is open (db/sqlite-database.ts), a COMMIT more each time.
  const groups = createGroupWriterPerKey<Channel, ProgressReport, UsualOutcome>(
    (channel) => (reports) => writeAsOne(db, (q) => applyUsualGroup(q, channel, reports)),
  );

  /**
   * The usual report: its message is stored with its id, and the report only moves the status
   * forward (a read also counts as the lead's activity), checked on the row as it is when written,
   * with no lock: the message's id is committed, so no held report can be waiting for it. Null
   * when the report needs the locked path: no message yet, a failure, or a second report of the
   * message in the same group.
   */
  async function applyUsual(report: DeliveryReport, reported: MessageStatus): Promise<UsualOutcome> {
    if (!PROGRESS.has(reported)) return null;
    return groups.write(report.channel, { externalId: report.externalId, to: reported, errorCode: report.errorCode, at: clock.now() });
  }

  return {
    /**
     * Applies one report. A report naming no message of ours yet is held
     * ("held") until a message takes its id, or for a day (another app on
     * the number, or a message we never stored).
     */
    async applyReport(report: DeliveryReport): Promise<"updated" | "unchanged" | "held"> {
      const reported = FROM_TWILIO[report.status];
      if (!reported) return "unchanged";
      const usual = await applyUsual(report, reported);
      if (usual) return usual;
      const now = clock.now();
      const outcome = await db.transaction(async (tx): Promise<"updated" | "unchanged" | "held"> => {
        await lockExternalId(tx, report.channel, report.externalId);
        const message = await findMessageByExternalId(tx, report.channel, report.externalId);
        if (message) return applyToMessage(tx, now, message, report, reported);
        await dropHeldReportsBefore(tx, new Date(now.getTime() - HELD_REPORT_TTL_MS));
        await holdReport(tx, {
          channel: report.channel,
          external_id: report.externalId,
          status: reported,
          error_code: report.errorCode,
          unreachable: report.unreachable,
          received_at: now,
        });
        return "held";
      });
      // A message's id may be written without the lock (a chat reply's: ChatMessageWrites.markSent),
      // which then looks for held reports once its write committed. Looking again once the hold
      // committed means one side always sees the other: the report is applied, by one of them.
      if (outcome === "held" && (await db.run((q) => findMessageByExternalId(q, report.channel, report.externalId)))) {
        await applyHeldReportsNow(db, now, report.channel, report.externalId);
      }
      return outcome;
    },
  };
}

export type MessageStatusService = ReturnType<typeof createMessageStatusService>;
