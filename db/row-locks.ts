/**
 * A select of the rows a use case reads in order to change them, which on
 * PostgreSQL takes their lock until its transaction ends (FOR NO KEY UPDATE:
 * another change of the same row waits; rows that merely refer to it, such as
 * a lead's messages or a campaign's enrollments, do not). Read committed gives
 * each statement a fresh snapshot, so without the lock two changes of one row
 * at the same moment both decided on what it was before either: two moves out
 * of entrada, two activations of one draft. SQLite runs one transaction at a
 * time (BEGIN IMMEDIATE), so it needs nothing here.
 */
import type { LockConfig, LockStrength } from "drizzle-orm/pg-core";
import type { Executor } from "./executor";

export function lockedForChange<Select>(q: Executor, select: Select, table: object): Select {
  if (q.dialect !== "postgres") return select;
  const pgSelect = select as unknown as { for(strength: LockStrength, config?: LockConfig): Select };
  return pgSelect.for("no key update", { of: table as LockConfig["of"] & object });
}
