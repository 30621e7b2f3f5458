/**
 * The PostgreSQL schema must stay the SQLite schema in another dialect: the
 * repositories are written once and serve both. A column, key or index added
 * to one file and not the other fails here, and a type that differs fails
 * `tsc --noEmit` (the expectTypeOf checks are compile-time only).
 */
import { getTableName, is, SQL } from "drizzle-orm";
import { getTableConfig as getPgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as getSqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as pgSchema from "../../db/pg/schema";
import * as sqliteSchema from "../../db/schema";

type TableConfig = ReturnType<typeof getSqliteTableConfig> | ReturnType<typeof getPgTableConfig>;

/** What both dialects must agree on, in plain values that `toEqual` can compare and print. */
function describeTable(config: TableConfig) {
  const columnName = (column: Partial<{ name: string }> | SQL) => (is(column, SQL) ? "<expression>" : column.name);
  return {
    columns: Object.fromEntries(
      config.columns.map((column) => [
        column.name,
        {
          notNull: column.notNull,
          primary: column.primary,
          // The JS-side kind of value (number, string, boolean, date, json): what a row holds after mapping.
          dataType: column.dataType,
          default: column.default,
          enumValues: column.enumValues,
        },
      ]),
    ),
    compositePrimaryKeys: config.primaryKeys.map((key) => key.columns.map((column) => column.name)),
    indexes: Object.fromEntries(
      config.indexes.map(({ config: index }) => [
        index.name,
        { columns: index.columns.map(columnName), unique: index.unique, partial: index.where !== undefined },
      ]),
    ),
    foreignKeys: config.foreignKeys
      .map((key) => {
        const reference = key.reference();
        return {
          columns: reference.columns.map((column) => column.name),
          foreignTable: getTableName(reference.foreignTable),
          foreignColumns: reference.foreignColumns.map((column) => column.name),
          // pg-core fills in SQL's default where sqlite-core leaves it unset.
          onDelete: key.onDelete ?? "no action",
          onUpdate: key.onUpdate ?? "no action",
        };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
  };
}

function tablesByName<T>(schema: Record<string, unknown>, isTable: (value: unknown) => value is T, name: (table: T) => string) {
  return new Map(
    Object.entries(schema)
      .filter((entry): entry is [string, T] => isTable(entry[1]))
      .map(([exportName, table]) => [name(table), { exportName, table }]),
  );
}

const sqliteTables = tablesByName(sqliteSchema, (value): value is SQLiteTable => is(value, SQLiteTable), getTableName);
const pgTables = tablesByName(pgSchema, (value): value is PgTable => is(value, PgTable), getTableName);

describe("the PostgreSQL schema mirrors the SQLite schema", () => {
  it("has the same tables, exported under the same names", () => {
    const exportNames = (tables: typeof sqliteTables | typeof pgTables) =>
      Object.fromEntries([...tables].map(([table, { exportName }]) => [table, exportName]));
    expect(exportNames(pgTables)).toEqual(exportNames(sqliteTables));
    expect(sqliteTables.size).toBeGreaterThan(0);
  });

  it.each([...sqliteTables.keys()])("%s has the same columns, nullability, defaults, keys and indexes", (name) => {
    const sqliteTable = sqliteTables.get(name)!.table;
    const pgTable = pgTables.get(name)?.table;
    expect(pgTable, `db/pg/schema.ts has no table ${name}`).toBeDefined();
    expect(describeTable(getPgTableConfig(pgTable!))).toEqual(describeTable(getSqliteTableConfig(sqliteTable)));
  });

  it("gives repositories the same row types to read and to insert", () => {
    // A module namespace's type holds only its values, so these are exactly the tables.
    type Rows<Schema, Kind extends "$inferSelect" | "$inferInsert"> = {
      [Table in keyof Schema]: Schema[Table] extends Record<Kind, infer Row> ? Row : never;
    };
    expectTypeOf<Rows<typeof pgSchema, "$inferSelect">>().toEqualTypeOf<Rows<typeof sqliteSchema, "$inferSelect">>();
    expectTypeOf<Rows<typeof pgSchema, "$inferInsert">>().toEqualTypeOf<Rows<typeof sqliteSchema, "$inferInsert">>();
  });
});
