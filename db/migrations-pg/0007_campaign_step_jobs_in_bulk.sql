-- Campaign step jobs are enqueued and removed once per statement, over the
-- rows it wrote (transition tables), instead of once per row: activating a
-- welcome campaign over 5,000 waiting leads spent 2.1-2.6 s in 5,000 add_job
-- calls, and each group of steps claimed or completed together made a
-- plpgsql call per row. The rules are 0005's, row for row:
-- - an enrollment written active with a next run (new, scheduled again,
--   postponed, reactivated) gets its job: one per enrollment (its job key,
--   replace mode), due at next_run_at; one graphile_worker.add_jobs call for
--   all of a statement's rows;
-- - an enrollment that stops being active, or whose step a run claimed (its
--   next run cleared), loses its pending job (remove_job skips a running one).
--   A claim already removed it, so an enrollment completed after its claim
--   (no next run left) has nothing to remove.
-- Still in the same transaction as the write. (No signature names the job
-- engine's types: plpgsql checks the names in its statements only when they
-- run, and the job engine's schema is installed by the product, not by these
-- files.)
DROP TRIGGER campaign_enrollments_enqueue_step ON campaign_enrollments;
--> statement-breakpoint
DROP FUNCTION prospecta_enqueue_campaign_step();
--> statement-breakpoint
-- The jobs of these enrollments, each due at its run time, in one add_jobs call.
CREATE FUNCTION prospecta_add_campaign_step_jobs(enrollment_ids integer[], run_ats timestamptz[]) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF coalesce(cardinality(enrollment_ids), 0) = 0 THEN
    RETURN;
  END IF;
  PERFORM graphile_worker.add_jobs(ARRAY(
    SELECT ROW('campaign_step', json_build_object('enrollment_id', due.id), NULL, due.run_at, 5,
               'campaign_step:' || due.id, NULL, NULL)::graphile_worker.job_spec
      FROM unnest(enrollment_ids, run_ats) AS due(id, run_at)
     ORDER BY due.id));
END
$$;
--> statement-breakpoint
CREATE FUNCTION prospecta_enqueue_enrolled_steps() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM prospecta_add_campaign_step_jobs(array_agg(n.id), array_agg(n.next_run_at))
     FROM new_enrollments n
    WHERE n.status = 'active' AND n.next_run_at IS NOT NULL;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER campaign_enrollments_enqueue_enrolled
  AFTER INSERT ON campaign_enrollments
  REFERENCING NEW TABLE AS new_enrollments
  FOR EACH STATEMENT EXECUTE FUNCTION prospecta_enqueue_enrolled_steps();
--> statement-breakpoint
CREATE FUNCTION prospecta_requeue_changed_steps() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM prospecta_add_campaign_step_jobs(array_agg(n.id), array_agg(n.next_run_at))
     FROM new_enrollments n
     JOIN old_enrollments o ON o.id = n.id
    WHERE n.status = 'active' AND n.next_run_at IS NOT NULL
      AND (n.next_run_at IS DISTINCT FROM o.next_run_at OR n.status IS DISTINCT FROM o.status);
  PERFORM graphile_worker.remove_job('campaign_step:' || n.id)
     FROM new_enrollments n
     JOIN old_enrollments o ON o.id = n.id
    WHERE o.status = 'active' AND o.next_run_at IS NOT NULL
      AND (n.status <> 'active' OR n.next_run_at IS NULL);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER campaign_enrollments_requeue_changed
  AFTER UPDATE ON campaign_enrollments
  REFERENCING OLD TABLE AS old_enrollments NEW TABLE AS new_enrollments
  FOR EACH STATEMENT EXECUTE FUNCTION prospecta_requeue_changed_steps();
