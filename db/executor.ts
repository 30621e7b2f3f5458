import type { RunResult } from "better-sqlite3";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema";

/** The database or an open transaction: repositories take either, so a service decides the transaction. */
export type Executor = BaseSQLiteDatabase<"sync", RunResult, typeof schema>;
