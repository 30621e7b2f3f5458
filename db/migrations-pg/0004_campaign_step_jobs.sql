-- On PostgreSQL, a campaign step runs as a graphile-worker job at its due
-- time. The job is enqueued by this trigger, so in the same transaction as
-- the write that makes the step due (an enrollment, a step recorded and the
-- next one scheduled, a postponement): both commit or neither does. One job
-- per enrollment (its job key): scheduling again moves it. The job claims the
-- step like every run does (campaign_logs_claim_uq), so a job and the
-- event-driven or periodic runs never do a step twice. The graphile_worker
-- schema is installed before these migrations (db/database.ts).
CREATE FUNCTION prospecta_enqueue_campaign_step() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF NEW.status = 'active' AND NEW.next_run_at IS NOT NULL
     AND (TG_OP = 'INSERT' OR NEW.next_run_at IS DISTINCT FROM OLD.next_run_at OR NEW.status IS DISTINCT FROM OLD.status) THEN
    PERFORM graphile_worker.add_job(
      'campaign_step',
      json_build_object('enrollment_id', NEW.id),
      run_at := NEW.next_run_at,
      max_attempts := 5,
      job_key := 'campaign_step:' || NEW.id,
      job_key_mode := 'replace');
  ELSIF TG_OP = 'UPDATE' AND OLD.status = 'active' AND NEW.status <> 'active' THEN
    -- Completed or exited: its pending job has nothing left to do (a running one is left alone).
    PERFORM graphile_worker.remove_job('campaign_step:' || NEW.id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER campaign_enrollments_enqueue_step
  AFTER INSERT OR UPDATE OF next_run_at, status ON campaign_enrollments
  FOR EACH ROW EXECUTE FUNCTION prospecta_enqueue_campaign_step();
