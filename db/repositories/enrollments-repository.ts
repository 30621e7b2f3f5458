/**
 * Set-based SQL for campaign enrollment: who enters, who exits, what is due.
 * Each statement handles every lead at once (INSERT … SELECT, UPDATE … WHERE),
 * so a trigger scan over 100k leads is a handful of indexed statements, not a
 * loop in JavaScript. The unique (campaign_id, lead_id, trigger_key) index is
 * what makes "once per stage entry / spell / lead" hold, even with two
 * processes scanning at the same time.
 */
import { eq, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../executor";
import { campaignEnrollments, type Campaign } from "../schema";

const DAY_MS = 86_400_000;

export interface FirstStep {
  step_number: number;
  delay_hours: number;
}

/** Limits a scan to one lead, or to what changed since a time (an incremental scan). */
export interface ScanScope {
  leadId?: number | undefined;
  changedSince?: Date | undefined;
}

/**
 * The lead filter and the trigger key of a campaign's trigger, as SQL over
 * `leads l`. With `changedSince`, only leads that can have started to match
 * since then are considered, each through an index: a stage entered since,
 * a lead updated since (its score moved), a last activity that crossed the
 * inactivity threshold since.
 */
function triggerSql(campaign: Campaign, now: Date, since: Date | undefined): { where: SQL; key: SQL } | null {
  const condition = campaign.trigger_condition as Record<string, number | string>;
  switch (campaign.triggered_by) {
    case "stage_change": {
      const recent = since ? sql` AND l.stage_changed_at >= ${since.getTime()}` : sql``;
      return { where: sql`l.pipeline_stage = ${String(condition.stage)}${recent}`, key: sql`'stage:' || l.stage_changed_at` };
    }
    case "lead_score": {
      const recent = since ? sql` AND l.updated_at >= ${since.getTime()}` : sql``;
      return { where: sql`l.score BETWEEN ${Number(condition.score_min)} AND ${Number(condition.score_max)}${recent}`, key: sql`'score'` };
    }
    case "inactivity": {
      const span = Number(condition.inactivity_days) * DAY_MS;
      const recent = since ? sql` AND l.last_activity_at >= ${since.getTime() - span}` : sql``;
      return { where: sql`l.last_activity_at < ${now.getTime() - span}${recent}`, key: sql`'inactive:' || l.last_activity_at` };
    }
    default:
      return null;
  }
}

/** Enrolls every eligible lead in scope not yet enrolled for this trigger occurrence. Returns how many. */
export function enrollMatchingLeads(db: Executor, campaign: Campaign, first: FirstStep, now: Date, scope: ScanScope = {}): number {
  const trigger = triggerSql(campaign, now, scope.changedSince);
  if (!trigger) return 0;
  const runAt = now.getTime() + Math.round(first.delay_hours * 3_600_000);
  const onlyLead = scope.leadId === undefined ? sql`` : sql`AND l.id = ${scope.leadId}`;
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
 * (unless the campaign's own step moved it); active again after an inactive
 * spell. One SELECT computes every reason in a single pass over the leads in
 * scope (those updated since `changedSince`, as every such change bumps
 * updated_at, or one lead); then only the few that must exit are updated.
 * (An UPDATE … FROM with this subquery gets flattened by SQLite into a scan
 * of all enrollments per lead, hence the two steps.)
 */
export function exitIneligibleEnrollments(db: Executor, now: Date, scope: ScanScope = {}): number {
  const at = now.getTime();
  const inScope = [
    scope.leadId === undefined ? sql`` : sql`AND l.id = ${scope.leadId}`,
    scope.changedSince === undefined ? sql`` : sql`AND l.updated_at >= ${scope.changedSince.getTime()}`,
  ];
  const exits = db.all<{ id: number; reason: string }>(sql`
    SELECT id, reason FROM (
      SELECT e.id AS id,
             CASE
               WHEN l.opted_out = 1 THEN 'El lead pidió no recibir más mensajes'
               WHEN l.pipeline_stage IN ('ganado', 'perdido') THEN 'El lead se cerró como ' || l.pipeline_stage
               WHEN c.triggered_by = 'stage_change' AND e.moved_by_own_step = 0
                    AND l.pipeline_stage != json_extract(c.trigger_condition, '$.stage')
                 THEN 'El lead salió de la etapa ' || json_extract(c.trigger_condition, '$.stage')
               WHEN c.triggered_by = 'inactivity' AND e.trigger_key != 'inactive:' || l.last_activity_at
                 THEN 'El lead volvió a estar activo'
             END AS reason
        -- CROSS JOIN makes SQLite start from the leads in scope (few, through
        -- an index) instead of walking every active enrollment.
        FROM leads l
        CROSS JOIN campaign_enrollments e ON e.lead_id = l.id
        JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.status = 'active' ${inScope[0]} ${inScope[1]})
     WHERE reason IS NOT NULL`);
  const idsByReason = new Map<string, number[]>();
  for (const exit of exits) idsByReason.set(exit.reason, [...(idsByReason.get(exit.reason) ?? []), exit.id]);
  for (const [reason, ids] of idsByReason) {
    db.run(sql`
      UPDATE campaign_enrollments
         SET status = 'exited', exit_reason = ${reason}, ended_at = ${at}, next_run_at = NULL, updated_at = ${at}
       WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) AND status = 'active'`);
  }
  return exits.length;
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

/**
 * The campaign's own update_stage step is moving the lead: leaving the trigger
 * stage is then no reason to exit. Run it in the move's transaction, so the
 * flag exists exactly when the move does.
 */
export function markMovedByOwnStep(tx: Executor, enrollmentId: number, now: Date): void {
  tx.update(campaignEnrollments).set({ moved_by_own_step: true, updated_at: now }).where(eq(campaignEnrollments.id, enrollmentId)).run();
}
