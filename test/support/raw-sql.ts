/**
 * Raw SQL for tests that look into the product's database, answered the same
 * way on both databases: rows as SQLite gives them (times as epoch
 * milliseconds, flags as 0/1, JSON as text, counts as numbers), so one
 * assertion holds for both. Values go in `?`; pass times as Dates.
 * On PostgreSQL it has a connection of its own with those type parsers,
 * leaving the product's untouched.
 */
import Database from "better-sqlite3";
import pg from "pg";

export interface RawSql {
  query<T = any>(text: string, ...params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const BOOL = 16;
const INT8 = 20;
const JSONB = 3802;
const TIMESTAMPTZ = 1184;
const FLOAT8 = 701;
const NUMERIC = 1700;

const sqliteLike: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    switch (oid) {
      case BOOL:
        return (value: string) => (value === "t" ? 1 : 0);
      case INT8:
      case FLOAT8:
      case NUMERIC:
        return Number;
      case JSONB:
        return (value: string) => value;
      case TIMESTAMPTZ:
        return (value: string) => Date.parse(value.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
      default:
        return pg.types.getTypeParser(oid, format);
    }
  }) as pg.CustomTypesConfig["getTypeParser"],
};

function placeholdersCheck(text: string, params: unknown[]): string[] {
  const parts = text.split("?");
  if (parts.length !== params.length + 1) throw new Error(`${parts.length - 1} placeholders, ${params.length} values: ${text}`);
  return parts;
}

export function openRawSql(databaseUrl: string): RawSql {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, types: sqliteLike });
    // A connection the server cuts while it waits (a test's database dropped WITH (FORCE) at its
    // end) is dropped by the pool, which then emits "error": unheard, that fails the whole run.
    pool.on("error", () => {});
    return {
      async query(text, ...params) {
        const parts = placeholdersCheck(text, params);
        const numbered = parts.reduce((sql, part, i) => (i === 0 ? part : `${sql}$${i}${part}`), "");
        return (await pool.query(numbered, params)).rows;
      },
      close: () => pool.end(),
    };
  }
  const sqlite = new Database(databaseUrl);
  sqlite.pragma("busy_timeout = 5000");
  return {
    async query(text, ...params) {
      placeholdersCheck(text, params);
      const values = params.map((value) => (value instanceof Date ? value.getTime() : typeof value === "boolean" ? Number(value) : value));
      const statement = sqlite.prepare(text);
      return (statement.reader ? statement.all(...values) : (statement.run(...values), [])) as any[];
    },
    close: async () => {
      sqlite.close();
    },
  };
}
