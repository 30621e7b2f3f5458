/**
 * Set-based SQL for campaign enrollment: who enters, who exits, what is due.
 * Each statement handles every lead at once (INSERT … SELECT, UPDATE … WHERE),
 * so a trigger scan over 100k leads is a handful of indexed statements, not a
 * loop in JavaScript. The unique (campaign_id, lead_id, trigger_key) index is
 * what makes "once per stage entry / spell / lead" hold, even with two
 * processes scanning at the same time.
 */
import { and, eq, inArray, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Executor } from "../executor";
import type { Campaign } from "../schema";
import { flagValue, jsonText, rawRows, rawRun, timeValue } from "../prepared";

const DAY_MS = 86_400_000;
/** Ids per UPDATE … WHERE id IN (…): well under both databases' limits on bound values. */
const IDS_PER_STATEMENT = 1000;
export interface FirstStep {
  step_number: number;
  delay_hours: number;
}

/** Whether the lead `leadId` names (a column of the statement it goes in) has an active enrollment. */
export function hasActiveEnrollment(q: Executor, leadId: SQLWrapper): SQL<boolean> {
  const { campaignEnrollments: e } = q.t;
  return sql<boolean>`EXISTS (${q.db.select({ one: sql`1` }).from(e).where(and(eq(e.lead_id, sql`${leadId}`), eq(e.status, "active")))})`;
}

/** Limits a scan to some leads (those a change just moved), or to what changed since a time (an incremental scan). */
export interface ScanScope {
  leadIds?: readonly number[] | undefined;
  changedSince?: Date | undefined;
}

/** The scope's leads as a condition on `l.id`, or nothing when the scope names none. */
function onlyLeads(scope: ScanScope): SQL {
  const ids = scope.leadIds;
  if (ids === undefined) return sql``;
  if (ids.length === 1) return sql`AND l.id = ${ids[0]}`;
  return sql`AND l.id IN (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`;
}

/**
 * A time column as the text of its epoch milliseconds, for trigger keys: the
 * same key on both databases for the same moment.
 */
function epochKey(q: Executor, column: string): SQL {
  return q.dialect === "sqlite" ? sql.raw(column) : sql.raw(`((EXTRACT(EPOCH FROM ${column}) * 1000)::bigint)::text`);
}

/**
 * The lead filter and the trigger key of a campaign's trigger, as SQL over
 * `leads l`. With `changedSince`, only leads that can have started to match
 * since then are considered, each through an index: a stage entered since,
 * a lead updated since (its score moved), a last activity that crossed the
 * inactivity threshold since.
 */
function triggerSql(q: Executor, campaign: Campaign, now: Date, since: Date | undefined): { where: SQL; key: SQL } | null {
  const condition = campaign.trigger_condition as Record<string, number | string>;
  const at = (time: number) => timeValue(q, new Date(time));
  switch (campaign.triggered_by) {
    case "stage_change": {
      const recent = since ? sql` AND l.stage_changed_at >= ${at(since.getTime())}` : sql``;
      return { where: sql`l.pipeline_stage = ${String(condition.stage)}${recent}`, key: sql`'stage:' || ${epochKey(q, "l.stage_changed_at")}` };
    }
    case "lead_score": {
      const recent = since ? sql` AND l.updated_at >= ${at(since.getTime())}` : sql``;
      return { where: sql`l.score BETWEEN ${Number(condition.score_min)} AND ${Number(condition.score_max)}${recent}`, key: sql`'score'` };
    }
    case "inactivity": {
      const span = Number(condition.inactivity_days) * DAY_MS;
      const recent = since ? sql` AND l.last_activity_at >= ${at(since.getTime() - span)}` : sql``;
      return { where: sql`l.last_activity_at < ${at(now.getTime() - span)}${recent}`, key: sql`'inactive:' || ${epochKey(q, "l.last_activity_at")}` };
    }
    default:
      return null;
  }
}

/** Enrolls every eligible lead in scope not yet enrolled for this trigger occurrence. Returns how many. */
export async function enrollMatchingLeads(q: Executor, campaign: Campaign, first: FirstStep, now: Date, scope: ScanScope = {}): Promise<number> {
  const trigger = triggerSql(q, campaign, now, scope.changedSince);
  if (!trigger) return 0;
  const runAt = timeValue(q, new Date(now.getTime() + Math.round(first.delay_hours * 3_600_000)));
  const enrolledAt = timeValue(q, now);
  const onlyLead = onlyLeads(scope);
  // The unique (campaign_id, lead_id, trigger_key) index skips whoever is enrolled already.
  const [insert, onConflict] = q.dialect === "sqlite" ? [sql`INSERT OR IGNORE INTO`, sql``] : [sql`INSERT INTO`, sql`ON CONFLICT DO NOTHING`];
  return rawRun(
    q,
    sql`
    ${insert} campaign_enrollments
      (campaign_id, lead_id, trigger_key, status, next_step_number, next_run_at, enrolled_at, updated_at)
    SELECT ${campaign.id}, l.id, ${trigger.key}, 'active', ${first.step_number}, ${runAt}, ${enrolledAt}, ${enrolledAt}
      FROM leads l
     WHERE ${trigger.where} ${onlyLead}
       AND l.opted_out = ${flagValue(q, false)}
       AND l.pipeline_stage NOT IN ('ganado', 'perdido')
    ${onConflict}`,
  );
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
export async function exitIneligibleEnrollments(q: Executor, now: Date, scope: ScanScope = {}): Promise<number> {
  const inScope = [
    onlyLeads(scope),
    scope.changedSince === undefined ? sql`` : sql`AND l.updated_at >= ${timeValue(q, scope.changedSince)}`,
  ];
  const stage = jsonText(q, sql.raw("c.trigger_condition"), "stage");
  // CROSS JOIN makes SQLite start from the leads in scope (few, through an
  // index) instead of walking every active enrollment; PostgreSQL's planner
  // chooses by itself (and takes no ON after a CROSS JOIN).
  const join = q.dialect === "sqlite" ? sql.raw("CROSS JOIN") : sql.raw("JOIN");
  const exits = await rawRows<{ id: number; reason: string }>(
    q,
    sql`
    SELECT id, reason FROM (
      SELECT e.id AS id,
             CASE
               WHEN l.opted_out = ${flagValue(q, true)} THEN 'El lead pidió no recibir más mensajes'
               WHEN l.pipeline_stage IN ('ganado', 'perdido') THEN 'El lead se cerró como ' || l.pipeline_stage
               WHEN c.triggered_by = 'stage_change' AND e.moved_by_own_step = ${flagValue(q, false)}
                    AND l.pipeline_stage != ${stage}
                 THEN 'El lead salió de la etapa ' || ${stage}
               WHEN c.triggered_by = 'inactivity' AND e.trigger_key != 'inactive:' || ${epochKey(q, "l.last_activity_at")}
                 THEN 'El lead volvió a estar activo'
             END AS reason
        FROM leads l
        ${join} campaign_enrollments e ON e.lead_id = l.id
        JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.status = 'active' ${inScope[0]} ${inScope[1]}) AS checked
     WHERE reason IS NOT NULL`,
  );
  const idsByReason = new Map<string, number[]>();
  for (const exit of exits) idsByReason.set(exit.reason, [...(idsByReason.get(exit.reason) ?? []), exit.id]);
  const { campaignEnrollments } = q.t;
  for (const [reason, ids] of idsByReason) {
    for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
      await q.db
        .update(campaignEnrollments)
        .set({ status: "exited", exit_reason: reason, ended_at: now, next_run_at: null, updated_at: now })
        .where(and(inArray(campaignEnrollments.id, ids.slice(start, start + IDS_PER_STATEMENT)), eq(campaignEnrollments.status, "active")));
    }
  }
  return exits.length;
}

/** Enrollments of active campaigns whose next step is due, oldest first. */
export async function selectDueEnrollmentIds(q: Executor, now: Date, limit: number): Promise<number[]> {
  const rows = await rawRows<{ id: number }>(
    q,
    sql`
      SELECT e.id FROM campaign_enrollments e JOIN campaigns c ON c.id = e.campaign_id
       WHERE e.status = 'active' AND e.next_run_at IS NOT NULL AND e.next_run_at <= ${timeValue(q, now)}
         AND c.status = 'active'
       ORDER BY e.next_run_at, e.id
       LIMIT ${limit}`,
  );
  return rows.map((row) => row.id);
}

/** Claimed steps whose outcome was never recorded within the lease: their process died mid-step. */
export async function selectAbandonedClaims(q: Executor, claimedBefore: Date) {
  return rawRows<{ id: number; enrollment_id: number | null; campaign_id: number; step_number: number }>(
    q,
    sql`
    SELECT id, enrollment_id, campaign_id, step_number FROM campaign_logs
     WHERE status = 'in_flight' AND needs_review = ${flagValue(q, false)} AND executed_at < ${timeValue(q, claimedBefore)}`,
  );
}

/**
 * The campaign's own update_stage step is moving the lead: leaving the trigger
 * stage is then no reason to exit. Run it in the move's transaction, so the
 * flag exists exactly when the move does.
 */
export async function markMovedByOwnStep(tx: Executor, enrollmentId: number, now: Date): Promise<void> {
  const { campaignEnrollments } = tx.t;
  await tx.db.update(campaignEnrollments).set({ moved_by_own_step: true, updated_at: now }).where(eq(campaignEnrollments.id, enrollmentId));
}
