-- The reconciler asks the engine's visibility list which open cases'
-- workflows run and describes only the others (issue 20.3: at 100 000 open
-- cases one describe per case made a pass outlast its 30-minute interval).
--
-- listed        open cases whose workflow the list showed running
-- described     workflows described one by one (not listed, or every case
--               of a batch whose list failed)
-- cases_cursor  the last case number whose batch is counted: a retried
--               batch adds nothing twice. NULL for runs begun before this
--               migration (counted as before).

-- +goose Up
ALTER TABLE reconcile_runs
    ADD COLUMN listed       integer NOT NULL DEFAULT 0,
    ADD COLUMN described    integer NOT NULL DEFAULT 0,
    ADD COLUMN cases_cursor text;

-- +goose Down
ALTER TABLE reconcile_runs DROP COLUMN cases_cursor, DROP COLUMN described, DROP COLUMN listed;
