-- Enrollments made by one statement (a campaign activated over thousands of
-- leads already in its stage, a trigger scan) enqueue their first steps' jobs
-- with one graphile_worker.add_jobs call over the statement's new rows,
-- instead of one add_job call per row from the row trigger: activating a
-- welcome campaign over 5,000 waiting leads spent 2.1-2.6 s in those calls.
-- Same jobs as before: one per enrollment (its job key, replace mode), in the
-- same transaction as the enrollments. The row trigger keeps the updates
-- (a step scheduled, claimed, completed or exited).
CREATE FUNCTION prospecta_enqueue_enrolled_steps() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM graphile_worker.add_jobs(specs)
     FROM (SELECT array_agg(
                    ROW('campaign_step', json_build_object('enrollment_id', n.id), NULL, n.next_run_at, 5,
                        'campaign_step:' || n.id, NULL, NULL)::graphile_worker.job_spec
                    ORDER BY n.id) AS specs
             FROM new_enrollments n
            WHERE n.status = 'active' AND n.next_run_at IS NOT NULL) AS due
    WHERE specs IS NOT NULL;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER campaign_enrollments_enqueue_enrolled
  AFTER INSERT ON campaign_enrollments
  REFERENCING NEW TABLE AS new_enrollments
  FOR EACH STATEMENT EXECUTE FUNCTION prospecta_enqueue_enrolled_steps();
--> statement-breakpoint
DROP TRIGGER campaign_enrollments_enqueue_step ON campaign_enrollments;
--> statement-breakpoint
CREATE TRIGGER campaign_enrollments_enqueue_step
  AFTER UPDATE OF next_run_at, status ON campaign_enrollments
  FOR EACH ROW EXECUTE FUNCTION prospecta_enqueue_campaign_step();
