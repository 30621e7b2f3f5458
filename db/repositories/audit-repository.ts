import { auditLogs } from "../schema";
import type { Executor } from "../executor";

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entity_id: number | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export function insertAudit(db: Executor, entry: AuditEntry, at: Date): void {
  db.insert(auditLogs)
    .values({ ...entry, before: entry.before ?? null, after: entry.after ?? null, at })
    .run();
}
