/**
 * Several rows of one table as one prepared PostgreSQL statement, however
 * many there are: each column's values travel as one array parameter and
 * unnest turns them back into rows,
 *   INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::integer[]) RETURNING *
 * A multi-row VALUES has a different text for every number of rows and every
 * mix of nulls, so drizzle built it and PostgreSQL parsed and planned it on
 * every call: creating leads over the API, building those inserts was a sixth
 * of the product's CPU. Here the statement is built and prepared once per set
 * of columns.
 *
 * A row leaves a column out to get the column's default; unnest has no
 * per-row DEFAULT, so rows are written in one statement per set of columns
 * they give (usually one), and the answer comes back in the order given.
 * Ids are drawn in the order unnest yields the rows, which is the order given.
 */
import { createHash } from "node:crypto";
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Q } from "./database";
import { onConnectionOf, type Prepared } from "./prepared";

/** At most this many column sets are kept per insert, in case a caller varies them without bound. */
const MAX_SHAPES = 64;

/** The column's type as an array parameter's cast: a precision changes nothing there, so it is left out. */
function arrayCast(column: PgColumn): SQL {
  return sql.raw(`${column.getSQLType().replace(/\s*\(\d+\)/, "")}[]`);
}

/**
 * An insert of any number of rows into the table `pick` names, on PostgreSQL only.
 * `returning`: answer the inserted rows (mapped as drizzle maps a select), else nothing.
 */
export function arrayInsert<Row>(name: string, pick: (t: Q["t"]) => unknown, returning: boolean) {
  const built = new Map<string, { prepared: Prepared; columns: [key: string, column: PgColumn][] }>();
  // The table's columns by key, read once: their order is the order of each statement's columns.
  let tableColumns: { table: PgTable; all: Record<string, PgColumn>; order: string[] } | undefined;
  function columnsOf(q: Q) {
    if (!tableColumns) {
      const table = pick(q.t) as PgTable;
      const all = getTableColumns(table) as Record<string, PgColumn>;
      tableColumns = { table, all, order: Object.keys(all) };
    }
    return tableColumns;
  }

  function build(q: Q, keys: string[]) {
    const db = q.db as unknown as NodePgDatabase<Record<string, never>>;
    const { table, all } = columnsOf(q);
    const columns = keys.map((key): [string, PgColumn] => [key, all[key]!]);
    const names = sql.join(columns.map(([, column]) => sql.identifier(column.name)), sql`, `);
    const arrays = sql.join(columns.map(([key, column]) => sql`${sql.placeholder(key)}::${arrayCast(column)}`), sql`, `);
    const insert = sql`INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays})`;
    // Without `returning`, only the ids come back: enough to know the statement ran, little to send.
    const inserted = db.$with("inserted", returning ? all : { id: all.id! }).as(sql`${insert} RETURNING ${returning ? sql`*` : sql`id`}`);
    const query = db.with(inserted).select().from(inserted);
    const shape = createHash("sha1").update(keys.join(",")).digest("base64url").slice(0, 12);
    return { prepared: query.prepare(`${name}_${shape}`) as unknown as Prepared, columns };
  }

  return async (q: Q, rows: readonly Record<string, unknown>[]): Promise<Row[]> => {
    if (q.dialect !== "postgres") throw new Error(`${name}: an array insert is PostgreSQL's`);
    const { order } = columnsOf(q);
    // Rows by the columns they give, in the table's order, so that the same set is one statement.
    const bySet = new Map<string, { keys: string[]; indexes: number[] }>();
    rows.forEach((row, index) => {
      const keys = order.filter((key) => row[key] !== undefined);
      const set = keys.join(",");
      const group = bySet.get(set) ?? bySet.set(set, { keys, indexes: [] }).get(set)!;
      group.indexes.push(index);
    });
    const answer: Row[] = new Array(rows.length);
    for (const [set, { keys, indexes }] of bySet) {
      let statement = built.get(set);
      if (!statement) {
        statement = build(q, keys);
        if (built.size >= MAX_SHAPES) built.delete(built.keys().next().value!);
        built.set(set, statement);
      }
      const values: Record<string, unknown[]> = {};
      for (const [key, column] of statement.columns) {
        values[key] = indexes.map((index) => {
          const value = rows[index]![key];
          return value === null ? null : column.mapToDriverValue(value);
        });
      }
      const result = await onConnectionOf(statement.prepared, q).execute(values);
      if (!returning) continue;
      const inserted = (result as (Row & { id: number })[]).sort((a, b) => a.id - b.id);
      indexes.forEach((index, i) => (answer[index] = inserted[i]!));
    }
    return returning ? answer : [];
  };
}
