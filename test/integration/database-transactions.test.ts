/**
 * db/database.ts on both databases: a transaction is all or nothing, a
 * transaction inside another is a savepoint, statements inside a transaction
 * join it, and on SQLite's one connection nothing else runs while a
 * transaction awaits (no lost update, no dirty read).
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Q } from "../../db/database";
import { lockUntilCommit } from "../../db/repositories/locks-repository";
import { DIALECTS, skipPostgres, useBothDatabases } from "../support/both-databases";

const databaseFor = useBothDatabases();

const put = (q: Q, key: string, value: string) => q.db.insert(q.t.appState).values({ key, value }).onConflictDoUpdate({ target: q.t.appState.key, set: { value } });
const read = async (q: Q, key: string) => (await q.db.select().from(q.t.appState).where(eq(q.t.appState.key, key)))[0]?.value;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe.each(DIALECTS)("%s", (dialect) => {
  const skip = dialect === "postgres" && skipPostgres;
  const database = () => databaseFor(dialect);

  it.skipIf(skip)("commits all of a transaction, or rolls all of it back", async () => {
    await database().transaction(async (q) => {
      await put(q, `${dialect}:a`, "1");
      await put(q, `${dialect}:b`, "2");
    });
    await expect(
      database().transaction(async (q) => {
        await put(q, `${dialect}:c`, "3");
        await tick();
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    const values = await database().run(async (q) => [await read(q, `${dialect}:a`), await read(q, `${dialect}:b`), await read(q, `${dialect}:c`)]);
    expect(values).toEqual(["1", "2", undefined]);
  });

  it.skipIf(skip)("makes a transaction inside another a savepoint: its failure undoes only its own writes", async () => {
    await database().transaction(async (q) => {
      await put(q, `${dialect}:outer`, "kept");
      await database()
        .transaction(async (inner) => {
          await put(inner, `${dialect}:inner`, "undone");
          throw new Error("inner refused");
        })
        .catch(() => undefined);
      // A run inside the transaction sees its writes: it joins it.
      expect(await database().run((q2) => read(q2, `${dialect}:outer`))).toBe("kept");
    });
    expect(await database().run((q) => read(q, `${dialect}:outer`))).toBe("kept");
    expect(await database().run((q) => read(q, `${dialect}:inner`))).toBeUndefined();
  });

  it.skipIf(skip)("never shows another flow a transaction's uncommitted writes", async () => {
    let release!: () => void;
    const held = new Promise<void>((done) => (release = done));
    const writer = database()
      .transaction(async (q) => {
        await put(q, `${dialect}:dirty`, "uncommitted");
        await held;
        throw new Error("rolled back");
      })
      .catch(() => undefined);
    await tick();
    const reader = database().run((q) => read(q, `${dialect}:dirty`));
    release();
    expect(await reader).toBeUndefined();
    await writer;
  });

  it.skipIf(skip)("makes a check-then-write under the same lock wait for the one in progress, so its check sees the other's row", async () => {
    // Two "fewer than one seat taken? then take it" at the same moment (as the call limit does).
    let firstChecked!: () => void;
    const checked = new Promise<void>((done) => (firstChecked = done));
    const takeSeat = (who: string, afterCheck: () => Promise<void>) =>
      database().transaction(async (q) => {
        await lockUntilCommit(q, `${dialect}:seats`);
        const taken = await read(q, `${dialect}:seat`);
        await afterCheck();
        if (taken) return `${who}: full`;
        await put(q, `${dialect}:seat`, who);
        return `${who}: seated`;
      });
    const first = takeSeat("first", async () => {
      firstChecked();
      await new Promise((resolve) => setTimeout(resolve, 100)); // holds the lock past the second's start
    });
    await checked;
    const second = takeSeat("second", async () => {});
    expect(await Promise.all([first, second])).toEqual(["first: seated", "second: full"]);
  });
});

describe("sqlite's one connection", () => {
  it("runs transactions one after another, so a read-then-write loses no update", async () => {
    const database = databaseFor("sqlite");
    await database.run((q) => put(q, "counter", "0"));
    const increment = () =>
      database.transaction(async (q) => {
        const value = Number(await read(q, "counter"));
        await tick(); // another flow's transaction would read the same value here
        await put(q, "counter", String(value + 1));
      });
    await Promise.all(Array.from({ length: 10 }, increment));
    expect(await database.run((q) => read(q, "counter"))).toBe("10");
  });
});
