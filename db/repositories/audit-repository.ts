import { auditLogs } from "../schema";
import type { Executor } from "../executor";
import { reusableQueryByColumns, writePlaceholders, writeShape } from "../prepared";

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entity_id: number | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

const insertAuditQuery = reusableQueryByColumns((db, columns) =>
  db.insert(auditLogs).values(writePlaceholders(columns) as unknown as typeof auditLogs.$inferInsert).prepare(),
);

export function insertAudit(db: Executor, entry: AuditEntry, at: Date): void {
  const values = { ...entry, before: entry.before ?? null, after: entry.after ?? null, at };
  insertAuditQuery(db, writeShape(values)).run(values);
}
