/**
 * Writes items as they come, several per write: the first item is written at
 * once, and every item that arrives while a write runs goes in the next one
 * (a group commit). Each caller gets its own item's answer. When a write of
 * several fails as a whole, its items are written one by one, so one bad item
 * fails alone and the others still land.
 */

/** Items per write, at most. */
const MAX_GROUP = 64;

interface Waiting<Item, Answer> {
  item: Item;
  resolve: (answer: Answer) => void;
  reject: (error: unknown) => void;
}

export function createGroupWriter<Item, Answer>(
  writeAll: (items: Item[]) => Promise<Answer[]>,
  onGroupFailed: (error: unknown, count: number) => void,
) {
  const queue: Waiting<Item, Answer>[] = [];
  let writing = false;

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
        if (!writing) void drain();
      });
    },
  };
}
