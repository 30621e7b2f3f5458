/**
 * Set-based SQL for campaign enrollment: who enters, who exits, what is due.
 * Each statement handles every lead at once (INSERT … SELECT, UPDATE … WHERE),
 * so a trigger scan over 100k leads is a handful of indexed statements, not a
 * loop in JavaScript. The unique (campaign_id, lead_id, trigger_key) index is
 * what makes "once per stage entry / spell / lead" hold, even with two
 * processes scanning at the same time.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "../executor";
import type { Campaign } from "../schema";

const DAY_MS = 86_400_000;

export interface FirstStep {
  step_number: number;
  delay_hours: number;
}

/** The lead filter and the trigger key of a campaign's trigger, as SQL over `leads l`. */
function triggerSql(campaign: Campaign, now: Date): { where: SQL; key: SQL } | null {
  const condition = campaign.trigger_condition as Record<string, number | string>;
  switch (campaign.triggered_by) {
    case "stage_change":
      return { where: sql`l.pipeline_stage = ${String(condition.stage)}`, key: sql`'stage:' || l.stage_changed_at` };
    case "lead_score":
      return { where: sql`l.score BETWEEN ${Number(condition.score_min)} AND ${Number(condition.score_max)}`, key: sql`'score'` };
    case "inactivity": {
      const cutoff = now.getTime() - Number(condition.inactivity_days) * DAY_MS;
      return { where: sql`l.last_activity_at < ${cutoff}`, key: sql`'inactive:' || l.last_activity_at` };
    }
    default:
      return null;
  }
}

/** Enrolls every eligible lead (or just `leadId`) not yet enrolled for this trigger occurrence. Returns how many. */
export function enrollMatchingLeads(db: Executor, campaign: Campaign, first: FirstStep, now: Date, leadId?: number): number {
  const trigger = triggerSql(campaign, now);
  if (!trigger) return 0;
  const runAt = now.getTime() + Math.round(first.delay_hours * 3_600_000);
  const onlyLead = leadId === undefined ? sql`` : sql`AND l.id = ${leadId}`;
  const result = db.run(sql`
    INSERT OR IGNORE INTO campaign_enrollments
      (campaign_id, lead_id, trigger_key, status, next_step_number, next_run_at, enrolled_at, updated_at)
    SELECT ${campaign.id}, l.id, ${trigger.key}, 'active', ${first.step_number}, ${runAt}, ${now.getTime()}, ${now.getTime()}
      FROM leads l
     WHERE ${trigger.where} ${onlyLead}
       AND l.opted_out = 0
       AND l.pipeline_stage NOT IN ('ganado', 'perdido')`);
  return result.changes;
}

/**
 * Ends active enrollments whose lead no longer qualifies, by the rules of
 * src/domain/enrollment-rules.ts: opted out or closed; out of the trigger stage
 * (unless the campaign's own step moved it); active again after an inactive spell.
 */
export function exitIneligibleEnrollments(db: Executor, now: Date, leadId?: number): number {
  const at = now.getTime();
  const onlyLead = leadId === undefined ? sql`` : sql`AND e.lead_id = ${leadId}`;
  const end = (reason: string, condition: SQL) =>
    db.run(sql`
      UPDATE campaign_enrollments AS e
         SET status = 'exited', exit_reason = ${reason}, ended_at = ${at}, next_run_at = NULL, updated_at = ${at}
       WHERE e.status = 'active' ${onlyLead} AND ${condition}`).changes;

  return (
    end(
      "El lead pidió no recibir más mensajes o se cerró",
      sql`EXISTS (SELECT 1 FROM leads l WHERE l.id = e.lead_id AND (l.opted_out = 1 OR l.pipeline_stage IN ('ganado', 'perdido')))`,
    ) +
    end(
      "El lead salió de la etapa de la campaña",
      sql`e.moved_by_own_step = 0 AND EXISTS (
            SELECT 1 FROM campaigns c JOIN leads l ON l.id = e.lead_id
             WHERE c.id = e.campaign_id AND c.triggered_by = 'stage_change'
               AND l.pipeline_stage != json_extract(c.trigger_condition, '$.stage'))`,
    ) +
    end(
      "El lead volvió a estar activo",
      sql`EXISTS (
            SELECT 1 FROM campaigns c JOIN leads l ON l.id = e.lead_id
             WHERE c.id = e.campaign_id AND c.triggered_by = 'inactivity'
               AND e.trigger_key != 'inactive:' || l.last_activity_at)`,
    )
  );
}

/** Enrollments of active campaigns whose next step is due, oldest first. */
export function selectDueEnrollmentIds(db: Executor, now: Date, limit: number): number[] {
  return db
    .all<{ id: number }>(sql`
      SELECT e.id FROM campaign_enrollments e JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.status = 'active' AND e.next_run_at IS NOT NULL AND e.next_run_at <= ${now.getTime()}
         AND c.status = 'active'
       ORDER BY e.next_run_at, e.id
       LIMIT ${limit}`)
    .map((row) => row.id);
}

/** Claimed steps whose outcome was never recorded within the lease: their process died mid-step. */
export function selectAbandonedClaims(db: Executor, claimedBefore: Date) {
  return db.all<{ id: number; enrollment_id: number | null; campaign_id: number; step_number: number }>(sql`
    SELECT id, enrollment_id, campaign_id, step_number FROM campaign_logs
     WHERE status = 'in_flight' AND needs_review = 0 AND executed_at < ${claimedBefore.getTime()}`);
}
