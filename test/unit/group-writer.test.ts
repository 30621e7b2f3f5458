import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { createGroupWriter, createGroupWriterPerKey } from "../../src/group-writer";

/** A write that waits until the test lets it finish, recording what each write was given. */
function gatedWrites(fail: (items: number[]) => boolean = () => false) {
  const writes: number[][] = [];
  const gates: (() => void)[] = [];
  const writeAll = async (items: number[]) => {
    writes.push(items);
    await new Promise<void>((resolve) => gates.push(resolve));
    if (fail(items)) throw new Error(`refused ${items.join(",")}`);
    return items.map((item) => item * 10);
  };
  const openAll = async () => {
    for (let i = 0; i < 50 && (gates.length > 0 || i < 3); i++) {
      gates.splice(0).forEach((open) => open());
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { writes, writeAll, openAll };
}

describe("group writer", () => {
  it("writes the first item at once and everything that came meanwhile in the next write, each caller getting its own answer", async () => {
    const gated = gatedWrites();
    const writer = createGroupWriter(gated.writeAll);
    const answers = [1, 2, 3, 4].map((item) => writer.write(item));
    await gated.openAll();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
    expect(gated.writes).toEqual([[1], [2, 3, 4]]);
  });

  it("per key, groups a key's items together and never with another key's", async () => {
    const gated = gatedWrites();
    const keysWritten: string[] = [];
    const writer = createGroupWriterPerKey<string, number, number>((key) => (items) => {
      keysWritten.push(key);
      return gated.writeAll(items);
    });
    const answers = [["a", 1], ["b", 2], ["a", 3], ["b", 4], ["a", 5]].map(([key, item]) => writer.write(key as string, item as number));
    await gated.openAll();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    expect(gated.writes).toEqual([[1], [2], [3, 5], [4]]);
    expect(keysWritten).toEqual(["a", "b", "a", "b"]);
  });

  it("writes a refused group one by one: only the bad item fails, the others land", async () => {
    const gated = gatedWrites((items) => items.includes(3));
    const failedGroups: number[] = [];
    const writer = createGroupWriter(gated.writeAll, { onGroupFailed: (_error, count) => failedGroups.push(count) });
    const answers = [1, 2, 3, 4].map((item) => writer.write(item).catch((error: Error) => error.message));
    await gated.openAll();
    expect(await Promise.all(answers)).toEqual([10, 20, "refused 3", 40]);
    expect(failedGroups).toEqual([3]);
    expect(gated.writes).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it("writes outside its callers' async context, so a caller's open transaction is never lent to the others' items", async () => {
    const transaction = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const writer = createGroupWriter(async (items: number[]) => {
      seen.push(transaction.getStore());
      return items;
    });
    await transaction.run("caller's transaction", () => writer.write(1));
    expect(seen).toEqual([undefined]);
  });
});
