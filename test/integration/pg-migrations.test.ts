/**
 * The PostgreSQL migrations build exactly what db/pg/schema.ts describes, on a
 * real PostgreSQL, and rows come back with the JS types the repositories expect.
 * Skipped only on a machine without PostgreSQL; CI sets REQUIRE_POSTGRES=1 so a
 * missing server fails instead of passing silently.
 */
import { fileURLToPath } from "node:url";
import { eq, is } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../../db/pg/schema";
import { findPostgresBinDir, startPostgresCluster, type PostgresCluster } from "../support/postgres-cluster";

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../db/migrations-pg", import.meta.url));
const tables = Object.values(schema as Record<string, unknown>)
  .filter((value): value is PgTable => is(value, PgTable))
  .map(getTableConfig);

const skip = !findPostgresBinDir() && !process.env.REQUIRE_POSTGRES;
if (skip) {
  console.warn(
    "pg-migrations.test.ts skipped: PostgreSQL is not installed (no pg_config on PATH). Set REQUIRE_POSTGRES=1 to fail instead.",
  );
}

describe.skipIf(skip)("PostgreSQL migrations", () => {
  let cluster: PostgresCluster | undefined;
  let pool: pg.Pool | undefined;
  let db: NodePgDatabase<typeof schema>;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    pool = new pg.Pool({ connectionString: cluster.url });
    // The cluster stops as the pool ends: a connection it cuts then must not fail the run (see raw-sql.ts).
    pool.on("error", () => {});
    db = drizzle({ client: pool, schema });
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await cluster?.stop();
  });

  const query = async <Row extends pg.QueryResultRow>(text: string) => (await pool!.query<Row>(text)).rows;

  it("create every table and column of db/pg/schema.ts, with its type and nullability", async () => {
    // format_type gives the declared type with its modifiers, e.g. timestamp(3) with time zone.
    const rows = await query<{ table_name: string; column_name: string; type: string; not_null: boolean }>(`
      SELECT c.table_name, c.column_name, c.is_nullable = 'NO' AS not_null, format_type(a.atttypid, a.atttypmod) AS type
      FROM information_schema.columns c
      JOIN pg_attribute a
        ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
       AND a.attname = c.column_name
      WHERE c.table_schema = 'public'`);
    const columnLine = (row: (typeof rows)[number]) => `${row.table_name}.${row.column_name} ${row.type}${row.not_null ? " not null" : ""}`;
    // Written by hand and kept by PostgreSQL's triggers, never through drizzle (SQLite has neither):
    // the search text behind the trigram index (migrations-pg 0008) and the stage tallies (0009).
    const handWritten = rows.filter((row) => (row.table_name === "leads" && row.column_name === "search_text") || row.table_name === "lead_stage_tallies");
    expect(handWritten.map(columnLine).sort()).toEqual([
      "lead_stage_tallies.changed_at_sum numeric not null",
      "lead_stage_tallies.leads integer not null",
      "lead_stage_tallies.rank integer not null",
      "lead_stage_tallies.stage text not null",
      "leads.search_text text",
    ]);
    const actual = rows.filter((row) => !handWritten.includes(row)).map(columnLine);
    const expected = tables.flatMap((table) =>
      table.columns.map(
        (column) =>
          `${table.name}.${column.name} ${column.getSQLType().replace(" (", "(")}${column.notNull ? " not null" : ""}`,
      ),
    );
    expect(actual.sort()).toEqual(expected.sort());
  });

  it("create every index with its columns, uniqueness and predicate", async () => {
    const describeIndex = (table: string, name: string, unique: boolean, columns: string, partial: boolean) =>
      `${table}.${name} ${unique ? "unique " : ""}(${columns})${partial ? " partial" : ""}`;
    const rows = await query<{ tablename: string; indexname: string; indexdef: string }>(
      "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'",
    );
    // The search index is written by hand (migrations-pg 0003 and 0008: a trigram index drizzle's schema cannot state); checked apart.
    const search = rows.find((row) => row.indexname === "leads_search_trgm_idx");
    expect(search?.indexdef).toMatch(/ON public\.leads USING gin \(search_text gin_trgm_ops\) WITH \(gin_pending_list_limit='512'\)$/);
    const actual = rows.filter((row) => row !== search).map(({ tablename, indexname, indexdef }) => {
      const [, unique, columns = indexdef, predicate] = /^CREATE (UNIQUE )?INDEX .* USING btree \((.*?)\)(?: WHERE (.*))?$/.exec(indexdef) ?? [];
      return describeIndex(tablename, indexname, Boolean(unique), columns.replaceAll('"', ""), Boolean(predicate));
    });
    // A composite primary key is an index too, named as drizzle names it.
    const primaryKeys = tables.flatMap((table) =>
      table.primaryKeys.map((key) => describeIndex(table.name, key.getName(), true, key.columns.map((column) => column.name).join(", "), false)),
    );
    const expected = tables.flatMap((table) =>
      table.indexes.map(({ config }) =>
        describeIndex(
          table.name,
          config.name!,
          config.unique,
          config.columns.map((column) => ("name" in column ? column.name : "<expression>")).join(", "),
          config.where !== undefined,
        ),
      ),
    );
    expect(actual.sort()).toEqual([...expected, ...primaryKeys].sort());
  });

  it("create every foreign key with its delete rule", async () => {
    const rows = await query<{ constraint_name: string; delete_rule: string }>(
      "SELECT constraint_name, delete_rule FROM information_schema.referential_constraints WHERE constraint_schema = 'public'",
    );
    const actual = rows.map((row) => `${row.constraint_name} on delete ${row.delete_rule.toLowerCase()}`);
    const expected = tables.flatMap((table) =>
      table.foreignKeys.map((key) => `${key.getName()} on delete ${key.onDelete ?? "no action"}`),
    );
    expect(actual.sort()).toEqual(expected.sort());
  });

  it("let a lead and its message be read back with the types they were written with", async () => {
    const at = new Date("2025-03-14T15:09:26.535Z");
    // The largest Telegram id a JS number holds exactly: beyond int4, so it needs bigint.
    const chatId = 2 ** 52 - 1;
    const [lead] = await db
      .insert(schema.leads)
      .values({
        name: "Ana Pérez",
        telegram_chat_id: chatId,
        pipeline_stage: "perfilamiento",
        stage_changed_at: at,
        last_activity_at: at,
        budget_min: 1_250_000.5,
        financially_approved: true,
        preapproved: false,
        source_detail: { ReferralSourceType: "ad", ReferralHeadline: "Casa en Zapopan" },
        pending_choices: [{ id: "slot-1", label: "jueves 10:00" }],
        created_at: at,
        updated_at: at,
      })
      .returning();
    const readLead = await db.query.leads.findFirst({ where: eq(schema.leads.id, lead!.id) });
    expect(readLead).toEqual(lead);
    expect(readLead).toMatchObject({
      telegram_chat_id: chatId,
      stage_changed_at: at,
      financially_approved: true,
      preapproved: false,
      opted_out: false,
      currency: "MXN",
      source_detail: { ReferralSourceType: "ad", ReferralHeadline: "Casa en Zapopan" },
      pending_choices: [{ id: "slot-1", label: "jueves 10:00" }],
    });
    expect(typeof readLead!.telegram_chat_id).toBe("number");
    expect(readLead!.stage_changed_at).toBeInstanceOf(Date);

    const [message] = await db
      .insert(schema.messages)
      .values({ lead_id: lead!.id, direction: "inbound", channel: "telegram", text: "Busco casa de 3 recámaras", at, extraction_pending: true })
      .returning();
    const pending = await db.select().from(schema.messages).where(eq(schema.messages.extraction_pending, true));
    expect(pending).toEqual([message]);
    expect(message).toMatchObject({ at, extraction_pending: true, status: null, status_at: null });
  });
});
