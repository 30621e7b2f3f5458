/** Applies the approval rule (src/domain/qualification.ts) to a lead in the financial stage, with its audit row. */
import { insertAudit } from "../../db/repositories/audit-repository";
import { updateLeadRow } from "../../db/repositories/leads-repository";
import type { Database } from "../../db/database";
import type { Lead } from "../../db/schema";
import type { Clock } from "../clock";
import { decideApproval, type ApprovalDecision } from "../domain/qualification";

export const APPROVAL_ACTOR = "system:approval";

export async function applyApprovalRule(db: Database, clock: Clock, lead: Lead): Promise<{ lead: Lead; approval: ApprovalDecision | null }> {
  if (lead.pipeline_stage !== "calificacion_financiera") return { lead, approval: null };
  const approval = decideApproval(lead);
  if (!approval.decided || approval.approved === lead.financially_approved) return { lead, approval };
  const updated = await db.transaction(async (tx) => {
    const now = clock.now();
    const row = await updateLeadRow(tx, lead.id, { financially_approved: approval.approved, updated_at: now });
    await insertAudit(tx, { actor: APPROVAL_ACTOR, action: "lead.financial_approval", entity: "lead", entity_id: lead.id, after: { ...approval } }, now);
    return row;
  });
  return { lead: updated, approval };
}
