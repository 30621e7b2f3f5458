-- How many leads each stage and furthest rank holds, and the sum of their
-- stage_changed_at, kept as the leads change, so a stage page's total and the
-- pipeline metrics need not count the leads: count(*) over a stage read 35,000
-- index entries (4 ms) for every stage page in bench:api, and the metrics'
-- grouping of every lead took 30 of their 35 ms at 120,000 leads. SQLite
-- counts its index in a fraction of that and keeps no tallies.
--
-- Rows are changes, appended: +n when leads enter a (stage, rank), -n when
-- they leave it. A row per writer, never one row per stage updated in place:
-- that row would be locked by every creation and move until its transaction
-- commits, putting them all in one line, and two moves in opposite directions
-- could deadlock. A reader sums the rows it can see, which are exactly the
-- changes its snapshot holds. prospecta_compact_lead_stage_tallies() folds
-- them into one row per (stage, rank) now and then (the product runs it every
-- few seconds on PostgreSQL); two compactions at once fold each row once,
-- because a row deleted by one is skipped by the other.
CREATE TABLE lead_stage_tallies (
  stage text NOT NULL,
  rank integer NOT NULL,
  leads integer NOT NULL,
  -- Seconds since the epoch, summed exactly: the average age is count * now - sum.
  changed_at_sum numeric NOT NULL
);
--> statement-breakpoint
-- New and deleted leads, once per statement over the rows it wrote (a group of creations is one row).
CREATE FUNCTION prospecta_tally_inserted_leads() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO lead_stage_tallies (stage, rank, leads, changed_at_sum)
    SELECT pipeline_stage, furthest_stage_rank, count(*), sum(extract(epoch FROM stage_changed_at))
      FROM new_leads GROUP BY pipeline_stage, furthest_stage_rank;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION prospecta_tally_deleted_leads() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO lead_stage_tallies (stage, rank, leads, changed_at_sum)
    SELECT pipeline_stage, furthest_stage_rank, -count(*), -sum(extract(epoch FROM stage_changed_at))
      FROM old_leads GROUP BY pipeline_stage, furthest_stage_rank;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- A lead that moved, row by row: the trigger's WHEN skips, without calling
-- anything, the far more frequent updates that leave the three columns alone
-- (activity, score, fields); a statement trigger would have copied every
-- updated row into transition tables to find that out.
CREATE FUNCTION prospecta_tally_moved_lead() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO lead_stage_tallies (stage, rank, leads, changed_at_sum) VALUES
    (OLD.pipeline_stage, OLD.furthest_stage_rank, -1, -extract(epoch FROM OLD.stage_changed_at)),
    (NEW.pipeline_stage, NEW.furthest_stage_rank, 1, extract(epoch FROM NEW.stage_changed_at));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION prospecta_clear_lead_stage_tallies() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  DELETE FROM lead_stage_tallies;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER leads_tally_inserted AFTER INSERT ON leads
  REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION prospecta_tally_inserted_leads();
--> statement-breakpoint
CREATE TRIGGER leads_tally_deleted AFTER DELETE ON leads
  REFERENCING OLD TABLE AS old_leads FOR EACH STATEMENT EXECUTE FUNCTION prospecta_tally_deleted_leads();
--> statement-breakpoint
CREATE TRIGGER leads_tally_moved AFTER UPDATE OF pipeline_stage, furthest_stage_rank, stage_changed_at ON leads
  FOR EACH ROW
  WHEN (OLD.pipeline_stage IS DISTINCT FROM NEW.pipeline_stage
     OR OLD.furthest_stage_rank IS DISTINCT FROM NEW.furthest_stage_rank
     OR OLD.stage_changed_at IS DISTINCT FROM NEW.stage_changed_at)
  EXECUTE FUNCTION prospecta_tally_moved_lead();
--> statement-breakpoint
CREATE TRIGGER leads_tally_truncated AFTER TRUNCATE ON leads
  FOR EACH STATEMENT EXECUTE FUNCTION prospecta_clear_lead_stage_tallies();
--> statement-breakpoint
-- One row per (stage, rank) for what the rows sum to; a (stage, rank) that emptied keeps none.
CREATE FUNCTION prospecta_compact_lead_stage_tallies() RETURNS void
  LANGUAGE sql
  AS $$
  WITH folded AS (DELETE FROM lead_stage_tallies RETURNING stage, rank, leads, changed_at_sum)
  INSERT INTO lead_stage_tallies (stage, rank, leads, changed_at_sum)
    SELECT stage, rank, sum(leads), sum(changed_at_sum) FROM folded GROUP BY stage, rank HAVING sum(leads) <> 0;
$$;
--> statement-breakpoint
INSERT INTO lead_stage_tallies (stage, rank, leads, changed_at_sum)
  SELECT pipeline_stage, furthest_stage_rank, count(*), sum(extract(epoch FROM stage_changed_at))
    FROM leads GROUP BY pipeline_stage, furthest_stage_rank;
