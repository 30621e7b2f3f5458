import { readScoreFacts, setLeadFields } from "../../db/repositories/leads-repository";
import type { Executor } from "../../db/executor";
import type { Lead } from "../../db/schema";
import { computeLeadScore } from "../domain/scoring";

/**
 * Recomputes the lead's score from its row and engagement, storing it if it changed. Call inside the change's transaction,
 * with the lead as that transaction just wrote or read it: only the score changes, so the row is not read back.
 */
export async function refreshLeadScore(tx: Executor, lead: Lead): Promise<Lead> {
  const score = computeLeadScore(lead, await readScoreFacts(tx, lead.id));
  if (score === lead.score) return lead;
  await setLeadFields(tx, lead.id, { score });
  return { ...lead, score };
}
