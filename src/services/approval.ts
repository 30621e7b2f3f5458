/** Applies the approval rule (src/domain/qualification.ts) to a lead in the financial stage, with its audit row. */
import type { AuditEntry } from "../../db/repositories/audit-repository";
import { findLeadToChange, updateLeadRowWithAudits } from "../../db/repositories/leads-repository";
import type { Database } from "../../db/database";
import type { Lead } from "../../db/schema";
import type { Clock } from "../clock";
import { decideApproval, type ApprovalDecision } from "../domain/qualification";

export const APPROVAL_ACTOR = "system:approval";

/**
 * The rule's decision for the lead as it is (null outside the financial stage) and, when the
 * decision changes the lead, the change and its audit row, for the caller to write in its own
 * transaction (or applyApprovalRule to read and write in one of its own).
 */
export function approvalChange(lead: Lead): { approval: ApprovalDecision | null; change: { financially_approved: boolean; audit: AuditEntry } | null } {
  if (lead.pipeline_stage !== "calificacion_financiera") return { approval: null, change: null };
  const approval = decideApproval(lead);
  if (!approval.decided || approval.approved === lead.financially_approved) return { approval, change: null };
  const audit: AuditEntry = { actor: APPROVAL_ACTOR, action: "lead.financial_approval", entity: "lead", entity_id: lead.id, after: { ...approval } };
  return { approval, change: { financially_approved: approval.approved, audit } };
}

/** The rule applied to the lead as it is when its transaction reads it (locked: a change meanwhile waits); null for a lead that is gone. */
export async function applyApprovalRule(db: Database, clock: Clock, leadId: number): Promise<{ lead: Lead; approval: ApprovalDecision | null } | null> {
  return db.transaction(async (tx) => {
    const lead = await findLeadToChange(tx, leadId);
    if (!lead) return null;
    const { approval, change } = approvalChange(lead);
    if (!change) return { lead, approval };
    const now = clock.now();
    const updated = await updateLeadRowWithAudits(tx, lead.id, { financially_approved: change.financially_approved, updated_at: now }, { audits: [change.audit], at: now });
    return { lead: updated, approval };
  });
}
