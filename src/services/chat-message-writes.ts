/**
 * A chat's own message writes, grouped across chats: the message a lead wrote
 * (with the lead's activity), the reply stored before it goes out, and the
 * provider's id once it went. On PostgreSQL these were three of a chat
 * message's ten round trips. Now a write that comes while another runs goes in
 * the next one (group-writer.ts): alone it is written at once, and under load
 * one statement carries the messages of many chats.
 *
 * Call them outside a transaction: the group is written on its own (on SQLite,
 * whose one connection an open transaction holds, it would wait for itself).
 */
import { writeAsOne, type Database } from "../../db/database";
import {
  insertMessages,
  markMessagesSent,
  recordInbounds,
  type InboundMessage,
  type SentMark,
} from "../../db/repositories/messages-repository";
import type { Message } from "../../db/schema";
import { createGroupWriter, createGroupWriterPerKey } from "../group-writer";
import type { Logger } from "../logger";
import type { Channel } from "../domain/vocabulary";
import { reportsDeliveryLater } from "../domain/message-status";
import { applyHeldReportsNow } from "./message-status-service";
import { idsWithHeldReports } from "../../db/repositories/held-reports-repository";

type NewMessage = Parameters<typeof insertMessages>[1][number];

export function createChatMessageWrites(db: Database, log: Logger) {
  const onGroupFailed = (what: string) => (error: unknown, count: number) =>
    log.warn({ err: error, count }, `a group of ${what} failed as a whole; writing them one by one`);

  const inbound = createGroupWriter<InboundMessage, Message | null>((items) => writeAsOne(db, (q) => recordInbounds(q, items)), {
    onGroupFailed: onGroupFailed("received messages"),
  });
  const replies = createGroupWriter<NewMessage, Message>((rows) => writeAsOne(db, (q) => insertMessages(q, rows)), {
    onGroupFailed: onGroupFailed("replies"),
  });
  const sentMarks = createGroupWriter<SentMark, null>(
    async (marks) => {
      await writeAsOne(db, (q) => markMessagesSent(q, marks));
      return marks.map(() => null);
    },
    { onGroupFailed: onGroupFailed("sent marks") },
  );

  // Whether reports wait for the ids just written: asked after the write committed (see markSent).
  const heldChecks = createGroupWriterPerKey<Channel, string, boolean>((channel) => async (ids) => {
    const held = await db.run((q) => idsWithHeldReports(q, channel, ids));
    return ids.map((id) => held.has(id));
  });

  return {
    /** What a lead wrote, stored once with its activity; null when the channel already delivered it (see recordInbound). */
    recordInbound: (item: InboundMessage): Promise<Message | null> => inbound.write(item),

    /** A reply, stored before it is sent. */
    storeReply: (row: NewMessage): Promise<Message> => replies.write(row),

    /**
     * The provider's id of a sent message. On a channel whose provider reports
     * delivery later (WhatsApp), a report may have come before the id was
     * written, and been held for it: once the write committed, the held
     * reports are looked for and applied. A report held meanwhile looks for
     * the message once its hold committed (applyReport), so one of the two
     * sees the other, with no lock around the write.
     */
    async markSent(channel: Channel, messageId: number, externalId: string, at: Date): Promise<void> {
      await sentMarks.write({ messageId, externalId, at });
      if (reportsDeliveryLater(channel) && (await heldChecks.write(channel, externalId))) await applyHeldReportsNow(db, at, channel, externalId);
    },
  };
}

export type ChatMessageWrites = ReturnType<typeof createChatMessageWrites>;
