-- The reconciler also checks the closed case rows whose workflow must
-- still run (issue 20, session 8): a decided objection waiting out its
-- appeal window (stage 'closed') or its appeal (stage 'appeal') has a
-- closed row while its workflow runs on until the window ends. Such a
-- workflow going missing (terminated by an operator, failed, its history
-- gone) left an appeal to meet an engine error and nobody told.
--
-- cases.workflow_lost_at        when the reconciler found the workflow of
--                               this closed, unfinished case gone and
--                               flagged it (a finding and a case event); the
--                               case is not walked again. Cleared when the
--                               workflow writes the row again (it runs).
-- reconcile_runs.held           closed, unfinished rows checked by the run
-- reconcile_runs.held_flagged   of them, flagged: their workflow is gone
-- cases_held_keyset             the rows a pass walks, in case-number
--                               order: every open row, and every closed row
--                               whose stage is not finished and that is not
--                               flagged yet.

-- +goose Up
ALTER TABLE cases ADD COLUMN workflow_lost_at timestamptz;
ALTER TABLE reconcile_runs
    ADD COLUMN held         integer NOT NULL DEFAULT 0,
    ADD COLUMN held_flagged integer NOT NULL DEFAULT 0;
CREATE INDEX cases_held_keyset ON cases (case_no)
    WHERE status = 'open' OR (stage <> 'finished' AND workflow_lost_at IS NULL);

-- +goose Down
DROP INDEX cases_held_keyset;
ALTER TABLE reconcile_runs DROP COLUMN held_flagged, DROP COLUMN held;
ALTER TABLE cases DROP COLUMN workflow_lost_at;
