-- A step claimed by a run (the in-process runner after an event, the periodic
-- sweep) clears its enrollment's next_run_at: its pending job would only find
-- the step taken. Removing it there, in the claim's own statement, spares the
-- job engine a fetch, a claim that loses and a completion per step (a welcome
-- campaign activated over thousands of waiting leads had both a job and the
-- runner at every step). A job already running is left alone (remove_job skips
-- locked jobs) and loses its claim as before.
CREATE OR REPLACE FUNCTION prospecta_enqueue_campaign_step() RETURNS trigger
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
  ELSIF TG_OP = 'UPDATE' AND NEW.status = 'active' AND NEW.next_run_at IS NULL AND OLD.next_run_at IS NOT NULL THEN
    -- Claimed by a run: the step is taken, its job would find nothing to do.
    PERFORM graphile_worker.remove_job('campaign_step:' || NEW.id);
  END IF;
  RETURN NULL;
END
$$;
