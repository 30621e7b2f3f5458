import type { Executor } from "../executor";
import { arrayInsert } from "../array-insert";
import { inOneStatement, reusableQueryByColumns, writePlaceholders } from "../prepared";
import type { auditLogs } from "../schema";

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entity_id: number | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

const insertAuditQuery = reusableQueryByColumns("insert_audit", (q, columns) =>
  q.db.insert(q.t.auditLogs).values(writePlaceholders(columns) as unknown as typeof auditLogs.$inferInsert),
);

/** An entry as its row stores it: a missing before/after as null. */
export const auditRow = (entry: AuditEntry, at: Date) => ({ ...entry, before: entry.before ?? null, after: entry.after ?? null, at });

export async function insertAudit(q: Executor, entry: AuditEntry, at: Date): Promise<void> {
  const values = auditRow(entry, at);
  await insertAuditQuery(q, values, values);
}

/** Several entries at once (see inOneStatement). */
export async function insertAudits(q: Executor, entries: readonly AuditEntry[], at: Date): Promise<void> {
  if (!inOneStatement(q, entries)) {
    for (const entry of entries) await insertAudit(q, entry, at);
    return;
  }
  await insertAuditsAsArrays(q, entries.map((entry) => auditRow(entry, at)));
}
const insertAuditsAsArrays = arrayInsert("insert_audits", (t) => t.auditLogs, false);
