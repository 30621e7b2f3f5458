/**
 * What repositories run statements on: the database or an open transaction
 * (SQLite or PostgreSQL), so a service decides the transaction. See
 * db/database.ts for the rules repositories follow.
 */
export type { Q as Executor } from "./database";
