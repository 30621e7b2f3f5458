import { messages, type Message } from "../schema";
import type { Executor } from "../executor";

export function insertMessage(db: Executor, values: typeof messages.$inferInsert): Message {
  return db.insert(messages).values(values).returning().get();
}
