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
import type { Database, Q } from "../../db/database";
import {
  insertMessages,
  markMessageSent,
  markMessagesSent,
  recordInbounds,
  type InboundMessage,
  type SentMark,
} from "../../db/repositories/messages-repository";
import type { Message } from "../../db/schema";
import { createGroupWriter } from "../group-writer";
import type { Logger } from "../logger";
import type { Channel } from "../domain/vocabulary";
import { reportsDeliveryLater } from "../domain/message-status";
import { writeProviderId } from "./message-status-service";

type NewMessage = Parameters<typeof insertMessages>[1][number];

export function createChatMessageWrites(db: Database, log: Logger) {
  // One statement on PostgreSQL (inOneStatement) needs no transaction; SQLite's row-by-row writes of a group share one.
  const together = <T>(work: (q: Q) => Promise<T>): Promise<T> => (db.dialect === "postgres" ? db.run(work) : db.transaction(work));
  const onGroupFailed = (what: string) => (error: unknown, count: number) =>
    log.warn({ err: error, count }, `a group of ${what} failed as a whole; writing them one by one`);

  const inbound = createGroupWriter<InboundMessage, Message | null>((items) => together((q) => recordInbounds(q, items)), {
    onGroupFailed: onGroupFailed("received messages"),
  });
  const replies = createGroupWriter<NewMessage, Message>((rows) => together((q) => insertMessages(q, rows)), {
    onGroupFailed: onGroupFailed("replies"),
  });
  const sentMarks = createGroupWriter<SentMark, null>(
    async (marks) => {
      await together((q) => markMessagesSent(q, marks));
      return marks.map(() => null);
    },
    { onGroupFailed: onGroupFailed("sent marks") },
  );

  return {
    /** What a lead wrote, stored once with its activity; null when the channel already delivered it (see recordInbound). */
    recordInbound: (item: InboundMessage): Promise<Message | null> => inbound.write(item),

    /** A reply, stored before it is sent. */
    storeReply: (row: NewMessage): Promise<Message> => replies.write(row),

    /**
     * The provider's id of a sent message. On a channel whose provider reports
     * delivery later (WhatsApp), reports may already wait for that id: the
     * write and theirs are one transaction (writeProviderId), not grouped.
     */
    async markSent(channel: Channel, messageId: number, externalId: string, at: Date): Promise<void> {
      if (reportsDeliveryLater(channel)) {
        await writeProviderId(db, at, channel, externalId, (q) => markMessageSent(q, messageId, externalId, "sent", at));
        return;
      }
      await sentMarks.write({ messageId, externalId, at });
    },
  };
}

export type ChatMessageWrites = ReturnType<typeof createChatMessageWrites>;
