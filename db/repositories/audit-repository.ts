import type { Executor } from "../executor";
import { reusableQueryByColumns, writePlaceholders } from "../prepared";
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

export async function insertAudit(q: Executor, entry: AuditEntry, at: Date): Promise<void> {
  const values = { ...entry, before: entry.before ?? null, after: entry.after ?? null, at };
  await insertAuditQuery(q, values, values);
}
