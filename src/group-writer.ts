/**
 * Writes items as they come, several per write: the first item is written at
 * once, and every item that arrives while a write runs goes in the next one
 * (a group commit). Each caller gets its own item's answer. When a write of
 * several fails as a whole, its items are written one by one, so one bad item
 * fails alone and the others still land.
 *
 * Writes run outside the callers' async context: a caller inside a database
 * transaction must not lend it to the others' items (db/database.ts finds the
 * open transaction through AsyncLocalStorage).
 */
import { AsyncResource } from "node:async_hooks";

/** Items per write, at most. */
const MAX_GROUP = 64;

interface Waiting<Item, Answer> {
  item: Item;
  resolve: (answer: Answer) => void;
  reject: (error: unknown) => void;
}

export interface GroupWriterOptions {
  /** Told when a group failed as a whole, before its items are written one by one. */
  onGroupFailed?: (error: unknown, count: number) => void;
}

export function createGroupWriter<Item, Answer>(
  writeAll: (items: Item[]) => Promise<Answer[]>,
  { onGroupFailed = () => {} }: GroupWriterOptions = {},
) {
  const queue: Waiting<Item, Answer>[] = [];
  let writing = false;
  // The context the writer was made in (at start-up, outside any transaction).
  const ownContext = new AsyncResource("GroupWriter");

  async function writeGroup(group: Waiting<Item, Answer>[]): Promise<void> {
    try {
      const answers = await writeAll(group.map((waiting) => waiting.item));
      group.forEach((waiting, i) => waiting.resolve(answers[i]!));
      return;
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      onGroupFailed(error, group.length);
    }
    for (const waiting of group) await writeGroup([waiting]);
  }

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (queue.length > 0) await writeGroup(queue.splice(0, MAX_GROUP));
    } finally {
      writing = false;
    }
  }

  return {
    write(item: Item): Promise<Answer> {
      return new Promise<Answer>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!writing) ownContext.runInAsyncScope(() => void drain());
      });
    },
  };
}

/**
 * A group writer per key (a channel, say), made the first time the key is written to:
 * items of one key are grouped together, never with another key's.
 */
export function createGroupWriterPerKey<Key, Item, Answer>(writeAllFor: (key: Key) => (items: Item[]) => Promise<Answer[]>, options?: GroupWriterOptions) {
  const writers = new Map<Key, ReturnType<typeof createGroupWriter<Item, Answer>>>();
  return {
    write(key: Key, item: Item): Promise<Answer> {
      let writer = writers.get(key);
      if (!writer) writers.set(key, (writer = createGroupWriter(writeAllFor(key), options)));
      return writer.write(item);
    },
  };
}
