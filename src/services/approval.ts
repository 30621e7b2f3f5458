/** Applies the approval rule (src/domain/qualification.ts) to a lead in the financial stage, with its audit row. */
import { insertAudit } from "../../db/repositories/audit-repository";
import { updateLeadRow } from "../../db/repositories/leads-repository";
import type { Db } from "../../db/client";
import type { Lead } from "../../db/schema";
import type { Clock } from "../clock";
import { decideApproval, type ApprovalDecision } from "../domain/qualification";

export const APPROVAL_ACTOR = "system:approval";

export function applyApprovalRule(db: Db, clock: Clock, lead: Lead): { lead: Lead; approval: ApprovalDecision | null } {
  if (lead.pipeline_stage !== "calificacion_financiera") return { lead, approval: null };
  const approval = decideApproval(lead);
  if (!approval.decided || approval.approved === lead.financially_approved) return { lead, approval };
  const updated = db.transaction((tx) => {
    const now = clock.now();
    const row = updateLeadRow(tx, lead.id, { financially_approved: approval.approved, updated_at: now });
    insertAudit(tx, { actor: APPROVAL_ACTOR, action: "lead.financial_approval", entity: "lead", entity_id: lead.id, after: { ...approval } }, now);
    return row;
  });
  return { lead: updated, approval };
}
