/**
 * A query run often, written once for both databases (db/database.ts):
 * - on SQLite it is built once per database and kept, as db/prepared.ts does
 *   for the synchronous repositories (drizzle's query building cost more
 *   than SQLite itself on the chat path);
 * - on PostgreSQL it is sent as a named prepared statement, which
 *   node-postgres prepares once per connection. drizzle builds its SQL on
 *   each call there, because a query built for one transaction must run on
 *   that transaction's connection; the building costs little beside the
 *   round trip.
 * Values go in placeholders (`sql.placeholder("name")`); in `where` clauses
 * they reach the driver unmapped (see db/prepared.ts). It answers rows:
 * writes say what they touched with `returning()`.
 */
import type { Q } from "./database";
import type { Executor } from "./executor";
import { connectionOf } from "./prepared";

/** A built query before it is prepared: drizzle's select, insert, update or delete builders. */
interface Preparable {
  prepare(name?: string): Prepared;
}
interface Prepared {
  execute(values?: Record<string, unknown>): unknown;
}

export function sharedQuery<Row>(name: string, build: (q: Q) => Preparable): (q: Q, values?: Record<string, unknown>) => Promise<Row[]> {
  const builtFor = new WeakMap<object, Prepared>();
  return async (q, values = {}) => {
    if (q.dialect === "postgres") return (await build(q).prepare(name).execute(values)) as Row[];
    const connection = connectionOf(q.db as unknown as Executor);
    let prepared = builtFor.get(connection);
    if (!prepared) builtFor.set(connection, (prepared = build(q).prepare()));
    return prepared.execute(values) as Row[];
  };
}
