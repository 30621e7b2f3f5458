/** db/shared-query.ts on both databases: values in placeholders, rows out, and run inside the transaction that is open. */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sharedQuery } from "../../db/shared-query";
import { DIALECTS, skipPostgres, useBothDatabases } from "../support/both-databases";

const databaseFor = useBothDatabases();

const putState = sharedQuery<{ key: string }>("put_state", (q) =>
  q.db
    .insert(q.t.appState)
    .values({ key: sql.placeholder("key") as unknown as string, value: sql.placeholder("value") as unknown as string })
    .returning({ key: q.t.appState.key }),
);
const stateOf = sharedQuery<{ value: string }>("state_of", (q) =>
  q.db.select({ value: q.t.appState.value }).from(q.t.appState).where(eq(q.t.appState.key, sql.placeholder("key"))),
);

describe.each(DIALECTS)("%s", (dialect) => {
  it.skipIf(dialect === "postgres" && skipPostgres)("runs with new values each time, inside the open transaction", async () => {
    const database = databaseFor(dialect);
    expect(await database.run((q) => putState(q, { key: "a", value: "1" }))).toEqual([{ key: "a" }]);
    expect(await database.run((q) => putState(q, { key: "b", value: "2" }))).toEqual([{ key: "b" }]);
    expect(await database.run((q) => stateOf(q, { key: "b" }))).toEqual([{ value: "2" }]);

    await expect(
      database.transaction(async (q) => {
        await putState(q, { key: "c", value: "3" });
        expect(await stateOf(q, { key: "c" })).toEqual([{ value: "3" }]);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await database.run((q) => stateOf(q, { key: "c" }))).toEqual([]);
  });
});
