import { readScoreFacts, type ScoreFacts } from "../../db/repositories/leads-repository";
import type { Executor } from "../../db/executor";
import type { Lead, NewLead } from "../../db/schema";
import { computeLeadScore } from "../domain/scoring";

/**
 * A lead's changes, with its score added when the row as they leave it (and its engagement)
 * scores differently. Call inside the change's transaction, before writing: the changes and the
 * score go in one UPDATE. (A second UPDATE of the same row for the score cost PostgreSQL a round
 * trip and a row version on every stage move and edit.)
 */
export async function withRefreshedScore<Changes extends Partial<NewLead>>(
  tx: Executor,
  lead: Lead,
  changes: Changes,
  // Already read in this transaction with the lead (findLeadWithScoreFacts), or read here.
  facts?: ScoreFacts,
): Promise<Changes & { score?: number }> {
  const score = computeLeadScore({ ...lead, ...changes }, facts ?? (await readScoreFacts(tx, lead.id)));
  return score === lead.score ? changes : { ...changes, score };
}
