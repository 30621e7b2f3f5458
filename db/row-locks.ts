/**
 * A select of the rows a use case reads in order to change them or the rows
 * under them, which on PostgreSQL takes their lock until its transaction ends
 * (FOR NO KEY UPDATE: another change of the same row waits; rows that merely
 * refer to it, such as a campaign's enrollments, do not). Read committed gives
 * each statement a fresh snapshot, so without the lock two changes at the same
 * moment both decided on what was there before either: two activations of one
 * draft, a step removed while its campaign was activated. SQLite runs one
 * transaction at a time (BEGIN IMMEDIATE), so it needs nothing here.
 *
 * A campaign's rules read its steps to change the campaign and the campaign to
 * change its steps, so two of its changes may write no row in common: a rerun
 * on conflict (TransactionOptions), which leads use, would not see them meet,
 * and the lock orders them. Campaigns change seldom; leads change on every chat
 * turn, where the lock's write into the row cost more than a rare rerun.
 */
import type { LockConfig, LockStrength } from "drizzle-orm/pg-core";
import type { Executor } from "./executor";

export function lockedForChange<Select>(q: Executor, select: Select, table: object): Select {
  if (q.dialect !== "postgres") return select;
  const pgSelect = select as unknown as { for(strength: LockStrength, config?: LockConfig): Select };
  return pgSelect.for("no key update", { of: table as LockConfig["of"] & object });
}
