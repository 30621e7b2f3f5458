import { findCurrentAppointment, readEngagement, updateLeadRow } from "../../db/repositories/leads-repository";
import type { Executor } from "../../db/executor";
import type { Lead } from "../../db/schema";
import { computeLeadScore } from "../domain/scoring";

/** Recomputes the lead's score from its row and engagement, storing it if it changed. Call inside the change's transaction. */
export async function refreshLeadScore(tx: Executor, lead: Lead, now: Date): Promise<Lead> {
  const engagement = await readEngagement(tx, lead.id);
  const appointment = await findCurrentAppointment(tx, lead.id, now);
  const score = computeLeadScore(lead, { ...engagement, hasAppointment: appointment !== null });
  return score === lead.score ? lead : updateLeadRow(tx, lead.id, { score });
}
