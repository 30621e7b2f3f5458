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
  findMessageByExternalId,
  findMessagesByExternalIds,
  setStatusesIfUnchanged,
  updateMessageStatus,
  type StatusChange,
} from "../../db/repositories/messages-repository";
import type { Message } from "../../db/schema";
import { nextMessageStatus, reportsDeliveryLater } from "../domain/message-status";
import type { Channel, MessageStatus } from "../domain/vocabulary";
import type { ServiceDeps } from "./context";
import { markChannelUnreachable } from "./channel-reachability";
import { createGroupWriter, createGroupWriterPerKey } from "../group-writer";

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

/** A progress report (PROGRESS) to apply to its stored message, if it finds one. */
interface UsualReport {
  externalId: string;
  reported: MessageStatus;
  errorCode: string | null;
  at: Date;
}

/** A usual report's outcome; null when it needs the locked path (see applyUsual). */
type UsualOutcome = "updated" | "unchanged" | null;

/**
 * What a usual report does to its message (read before): its outcome, and the status change to
 * make if any. `moving`: messages another report of the same group already moves; a second
 * report of one of them takes the locked path, once the first is written.
 */
function planUsual(report: UsualReport, message: Message | undefined, moving: Set<number>): [UsualOutcome, StatusChange?] {
  if (!message || moving.has(message.id)) return [null];
  const status = nextMessageStatus(message.status, report.reported);
  if (status === message.status) return ["unchanged"];
  moving.add(message.id);
  return ["updated", { messageId: message.id, from: message.status, to: status, at: report.at, errorCode: report.errorCode }];
}

/** Usual reports of one channel, read and written in one transaction (SQLite: see createMessageStatusService). */
async function applyUsualGroup(q: Executor, channel: Channel, reports: readonly UsualReport[]): Promise<UsualOutcome[]> {
  const messages = await findMessagesByExternalIds(q, channel, reports.map((report) => report.externalId));
  const moving = new Set<number>();
  const plans = reports.map((report, i) => planUsual(report, messages[i], moving));
  const changes = plans.flatMap(([, change]) => (change ? [change] : []));
  const made = changes.length > 0 ? await setStatusesIfUnchanged(q, changes) : [];
  let next = 0;
  return plans.map(([outcome, change]) => (change && !made[next++] ? null : outcome));
}

/** Usual reports of the moment, each group read and written in one transaction (SQLite). */
function readAndSetTogether(db: Database): (channel: Channel, report: UsualReport) => Promise<UsualOutcome> {
  const groups = createGroupWriterPerKey<Channel, UsualReport, UsualOutcome>((channel) => (reports) => db.transaction((q) => applyUsualGroup(q, channel, reports)));
  return (channel, report) => groups.write(channel, report);
}

/** Usual reports of the moment, read by one group writer and set by another, whose groups overlap (PostgreSQL). */
function readThenSet(db: Database): (channel: Channel, report: UsualReport) => Promise<UsualOutcome> {
  const lookups = createGroupWriterPerKey<Channel, string, Message | undefined>((channel) => (ids) => db.run((q) => findMessagesByExternalIds(q, channel, ids)));
  // A group that fails as a whole is written report by report; a report that fails alone fails its request.
  const statusChanges = createGroupWriter<StatusChange, boolean>((changes) => writeAsOne(db, (q) => setStatusesIfUnchanged(q, changes)));
  return async (channel, report) => {
    const [outcome, change] = planUsual(report, await lookups.write(channel, report.externalId), new Set());
    if (!change) return outcome;
    return (await statusChanges.write(change)) ? outcome : null;
  };
}

export function createMessageStatusService({ db, clock }: ServiceDeps) {
  // Reports come three per message sent (sent, delivered, read), each its own request: those of
  // the moment are applied together (group-writer.ts). On PostgreSQL their messages are read by
  // one group writer and their statuses set by another, so one group's write overlaps the next
  // group's read (one connection each; reading and writing in one group instead doubled the
  // replies' p99 at half load in bench:whatsapp, 45 → 95 ms). On SQLite the read joins the write's
  // transaction: as a read of its own it would wait in the database's queue and end the group
  // commit that is open (db/sqlite-database.ts), a COMMIT more each time.
  const applyUsualReport = db.dialect === "sqlite" ? readAndSetTogether(db) : readThenSet(db);

  /**
   * The usual report: its message is stored with its id, and the report only moves the status
   * forward (a read also counts as the lead's activity). Set if the status is still the one read,
   * with no lock: the message's id is committed, so no held report can be waiting for it. Null
   * when the report needs the locked path: no message yet, a failure, or another report moved
   * the status in between.
   */
  async function applyUsual(report: DeliveryReport, reported: MessageStatus): Promise<UsualOutcome> {
    if (!PROGRESS.has(reported)) return null;
    return applyUsualReport(report.channel, { externalId: report.externalId, reported, errorCode: report.errorCode, at: clock.now() });
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
