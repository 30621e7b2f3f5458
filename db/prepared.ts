/**
 * Queries run often, written once for both databases (db/database.ts).
 *
 * - On SQLite a query is built once per database, with placeholders, and
 *   kept: drizzle rebuilds a query's SQL from its objects on every call, and
 *   on the chat path (a WhatsApp or Telegram message: about 40 statements)
 *   that building was a fifth of the product's CPU in the bench:whatsapp
 *   profile, more than SQLite itself. A transaction shares its database's
 *   one connection, so the query built there runs inside whatever
 *   transaction is open.
 * - On PostgreSQL it is sent as a named prepared statement, which
 *   node-postgres prepares once per connection. It is built once too, and
 *   each run gives it the connection of the transaction it runs in (drizzle
 *   ties a built query to the session it was built on: see onConnectionOf).
 *   Building on every call was a tenth of the product's CPU creating leads.
 *
 * Placeholders in `where` clauses reach the driver as given (no column
 * mapping): pass `timeValue(q, at)` for times and `flagValue(q, b)` for
 * booleans. Values given to `set` or `values` are mapped by their column as
 * usual (see writePlaceholders for null). A query answers rows: writes say
 * what they touched with `returning()`.
 */
import { createHash } from "node:crypto";
import { sql, type Placeholder, type SQL } from "drizzle-orm";
import type { Q } from "./database";

/** A query shape per set of columns: enough for every update and insert the product makes, bounded in case one is not. */
const MAX_SHAPES_PER_QUERY = 256;

/** A built query before it is prepared: drizzle's select, insert, update or delete builders. */
interface Preparable {
  prepare(name?: string): Prepared;
}
export interface Prepared {
  execute(values?: Record<string, unknown>): unknown;
}

/** The connection behind a SQLite database or one of its transactions (they share it). */
export function connectionOf(q: Q): object {
  // drizzle keeps its session on the database and on each transaction at run time without typing it.
  const session = (q.db as unknown as { session?: { client?: object } }).session;
  if (!session?.client) throw new Error("reusable queries need a database opened by db/database.ts");
  return session.client;
}

/** Rows from what a prepared statement answered: PostgreSQL answers a result object for a write with no `returning()`. */
function rowsOf<Row>(answer: unknown): Row[] {
  return Array.isArray(answer) ? (answer as Row[]) : [];
}

/**
 * A PostgreSQL query built once, to run on `q`'s connection: the pool, or the client of the
 * transaction `q` is. drizzle's node-postgres prepared query keeps everything it sends (the
 * text, the statement name, the parameters' order, how rows map to fields) apart from the one
 * field that names where to send it, `client`; a view of it with its own `client` runs there.
 */
export function onConnectionOf(prepared: Prepared, q: Q): Prepared {
  return Object.create(prepared, { client: { value: connectionOf(q) } }) as Prepared;
}

/** A query with fixed SQL. `name` must be unique in the product: it names the PostgreSQL statement. */
export function reusableQuery<Row>(name: string, build: (q: Q) => Preparable): (q: Q, values?: Record<string, unknown>) => Promise<Row[]> {
  const builtFor = new WeakMap<object, Prepared>();
  let builtForPostgres: Prepared | undefined;
  return async (q, values = {}) => {
    if (q.dialect === "postgres") {
      builtForPostgres ??= build(q).prepare(name);
      return rowsOf<Row>(await onConnectionOf(builtForPostgres, q).execute(values));
    }
    const connection = connectionOf(q);
    let prepared = builtFor.get(connection);
    if (!prepared) builtFor.set(connection, (prepared = build(q).prepare()));
    // better-sqlite3's answer comes lazily (drizzle's ExecuteResultSync): awaiting runs it.
    return rowsOf<Row>(await prepared.execute(values));
  };
}

/**
 * A query whose SQL depends on which columns it writes (an update of some of
 * a row's fields, an insert that leaves others to their defaults): one built
 * query per set of columns. `values` are the row's values, and anything the
 * query's own placeholders need beside them.
 */
export function reusableQueryByColumns<Row>(
  name: string,
  build: (q: Q, columns: readonly string[]) => Preparable,
): (q: Q, row: object, values: Record<string, unknown>) => Promise<Row[]> {
  const builtFor = new WeakMap<object, Map<string, Prepared>>();
  const builtForPostgres = new Map<string, Prepared>();
  return async (q, row, values) => {
    const columns = writeShape(row);
    const key = columns.join(",");
    if (q.dialect === "postgres") {
      let prepared = builtForPostgres.get(key);
      if (prepared === undefined) {
        prepared = build(q, columns).prepare(`${name}_${createHash("sha1").update(key).digest("base64url").slice(0, 12)}`);
        if (builtForPostgres.size >= MAX_SHAPES_PER_QUERY) builtForPostgres.delete(builtForPostgres.keys().next().value!);
        builtForPostgres.set(key, prepared);
      }
      return rowsOf<Row>(await onConnectionOf(prepared, q).execute(values));
    }
    const connection = connectionOf(q);
    let shapes = builtFor.get(connection);
    if (!shapes) builtFor.set(connection, (shapes = new Map()));
    let prepared = shapes.get(key);
    if (prepared === undefined) {
      prepared = build(q, columns).prepare();
      if (shapes.size >= MAX_SHAPES_PER_QUERY) shapes.delete(shapes.keys().next().value!);
      shapes.set(key, prepared);
    }
    return rowsOf<Row>(await prepared.execute(values));
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

/**
 * A placeholder in `set()` bound as is, not mapped through its column: callers pass what the
 * database stores (timeValue, flagValue, JSON text).
 */
export function unmappedPlaceholder(name: string): SQL {
  return sql`${sql.placeholder(name)}`;
}

/**
 * Whether rows written together go as one statement. On PostgreSQL, two or more do: a round trip
 * costs more than the rows. On SQLite they go one prepared single-row statement each: there are no
 * round trips, and that is cheaper than building a statement for each group's size.
 */
export function inOneStatement(q: Q, rows: readonly unknown[]): boolean {
  return q.dialect === "postgres" && rows.length > 1;
}

/** A time as the database stores it, for a placeholder or raw SQL: epoch milliseconds in SQLite, a timestamptz in PostgreSQL. */
export function timeValue(q: Q, at: Date): number | Date {
  return q.dialect === "sqlite" ? at.getTime() : at;
}

/** A flag as the database stores it, for a placeholder or raw SQL: 0/1 in SQLite, a boolean in PostgreSQL. */
export function flagValue(q: Q, flag: boolean): number | boolean {
  return q.dialect === "sqlite" ? (flag ? 1 : 0) : flag;
}

/** Rows of a raw SQL statement on either database. */
export async function rawRows<Row>(q: Q, statement: SQL): Promise<Row[]> {
  if (q.dialect === "sqlite") return (q.db as unknown as { all(s: SQL): Row[] }).all(statement);
  const result = await (q.db as unknown as { execute(s: SQL): Promise<{ rows: Row[] }> }).execute(statement);
  return result.rows;
}

/** The first row, or undefined: what `.get()` answered on SQLite's synchronous builders. */
export function first<Row>(rows: Row[]): Row | undefined {
  return rows[0];
}

/** Runs a raw SQL write on either database; answers how many rows it changed. */
export async function rawRun(q: Q, statement: SQL): Promise<number> {
  if (q.dialect === "sqlite") return (q.db as unknown as { run(s: SQL): { changes: number } }).run(statement).changes;
  const result = await (q.db as unknown as { execute(s: SQL): Promise<{ rowCount: number | null }> }).execute(statement);
  return result.rowCount ?? 0;
}

/**
 * A top-level field of a JSON column as text (SQLite's json_extract answers
 * the JSON value, which compares equal to text for strings; PostgreSQL's ->>
 * answers text). `key` is a fixed identifier, never user input.
 */
export function jsonText(q: Q, column: SQL | SQL.Aliased | { getSQL(): SQL }, key: string): SQL {
  if (!/^\w+$/.test(key)) throw new Error(`not a JSON key: ${key}`);
  return q.dialect === "sqlite" ? sql`json_extract(${column}, ${sql.raw(`'$.${key}'`)})` : sql`(${column}->>${sql.raw(`'${key}'`)})`;
}

/**
 * A JSON column with one top-level field set to `value` (serialised here),
 * the column's other fields kept; a NULL column counts as an empty object.
 * `key` is a fixed identifier, never user input.
 */
export function withJsonKey(q: Q, column: string, key: string, value: unknown): SQL {
  if (!/^\w+$/.test(key) || !/^\w+$/.test(column)) throw new Error(`not a JSON column and key: ${column}.${key}`);
  const json = JSON.stringify(value);
  return q.dialect === "sqlite"
    ? sql`json_set(COALESCE(${sql.raw(column)}, '{}'), ${sql.raw(`'$.${key}'`)}, json(${json}))`
    : sql`jsonb_set(COALESCE(${sql.raw(column)}, '{}'::jsonb), ${sql.raw(`'{${key}}'`)}, ${json}::jsonb)`;
}
