/**
 * Queries built once and run many times. drizzle rebuilds a query's SQL from
 * its objects on every call; on the chat path (a WhatsApp or Telegram message:
 * about 40 statements) that building was a fifth of the product's CPU in the
 * bench:whatsapp profile, more than SQLite itself. A reusable query is built
 * with placeholders the first time it runs on a database and kept for that
 * database: a transaction shares its database's connection, so the query
 * built there runs inside whatever transaction is open.
 *
 * Placeholders in `where` clauses reach the driver as given (no column
 * mapping): pass what the column stores (epoch milliseconds for times).
 * Values given to `set` or `values` are mapped by their column as usual
 * (see writePlaceholders for null).
 */
import { sql, type Placeholder, type SQL } from "drizzle-orm";
import type { Executor } from "./executor";

/** A query shape per set of columns: enough for every update and insert the product makes, bounded in case one is not. */
const MAX_SHAPES_PER_QUERY = 256;

/** The connection behind the database or one of its transactions (they share it). */
export function connectionOf(db: Executor): object {
  // drizzle keeps its session on the database and on each transaction at run time without typing it.
  const session = (db as unknown as { session?: { client?: object } }).session;
  if (!session?.client) throw new Error("reusable queries need a better-sqlite3 database or one of its transactions");
  return session.client;
}

/** A query with fixed SQL: `build` runs once per database. */
export function reusableQuery<Q>(build: (db: Executor) => Q): (db: Executor) => Q {
  const built = new WeakMap<object, Q>();
  return (db) => {
    const connection = connectionOf(db);
    let query = built.get(connection);
    if (query === undefined) {
      query = build(db);
      built.set(connection, query);
    }
    return query;
  };
}

/**
 * A query whose SQL depends on which columns it writes (an update of some of
 * a row's fields, an insert that leaves others to their defaults): one built
 * query per set of columns.
 */
export function reusableQueryByColumns<Q>(build: (db: Executor, columns: readonly string[]) => Q): (db: Executor, columns: readonly string[]) => Q {
  const built = new WeakMap<object, Map<string, Q>>();
  return (db, columns) => {
    const connection = connectionOf(db);
    let shapes = built.get(connection);
    if (!shapes) built.set(connection, (shapes = new Map()));
    const key = columns.join(",");
    let query = shapes.get(key);
    if (query === undefined) {
      query = build(db, columns);
      if (shapes.size >= MAX_SHAPES_PER_QUERY) shapes.delete(shapes.keys().next().value!);
      shapes.set(key, query);
    }
    return query;
  };
}

/**
 * The shape of a write: each column it gives a value to (drizzle leaves out
 * those that are undefined), marked when the value is null.
 */
export function writeShape(values: object): string[] {
  const shape: string[] = [];
  for (const [column, value] of Object.entries(values)) {
    if (value === null) shape.push(`${column}${NULL_MARK}`);
    else if (value !== undefined) shape.push(column);
  }
  return shape;
}

const NULL_MARK = "=null";

/**
 * `{ column: placeholder }` for `set` or `values`, the values coming when the
 * query runs. A null is written into the SQL instead: drizzle maps a
 * placeholder's value through its column (a time to milliseconds, JSON to
 * text) and that mapping does not take null.
 */
export function writePlaceholders(shape: readonly string[]): Record<string, Placeholder | SQL> {
  return Object.fromEntries(
    shape.map((entry) => (entry.endsWith(NULL_MARK) ? [entry.slice(0, -NULL_MARK.length), sql`null`] : [entry, sql.placeholder(entry)])),
  );
}
