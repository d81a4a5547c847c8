-- Escalated steps (issue 11.4): a step of a case that stopped on a data
-- error (a constraint broken, a value PostgreSQL cannot read, stored data
-- that does not decode, a row missing) is put before the supervisors as an
-- escalation of kind 'step' instead of being retried for ever. rule_id is
-- 'step:' + the activity, seq the case's escalated-step number; step,
-- stage, error_type and message say what stopped (the message names the
-- SQLSTATE, constraint, table and column, never a value). resolution is
-- how it ended: 'retry' (the step ran again after the data was corrected)
-- or 'close' (the case was closed, its record unlabelled).

-- +goose Up
ALTER TABLE escalations
    ADD COLUMN kind       text NOT NULL DEFAULT 'deadline' CHECK (kind IN ('deadline', 'step')),
    ADD COLUMN step       text NOT NULL DEFAULT '',
    ADD COLUMN stage      text NOT NULL DEFAULT '',
    ADD COLUMN error_type text NOT NULL DEFAULT '',
    ADD COLUMN message    text NOT NULL DEFAULT '',
    ADD COLUMN resolution text NOT NULL DEFAULT '' CHECK (resolution IN ('', 'retry', 'close'));

-- +goose Down
ALTER TABLE escalations
    DROP COLUMN kind, DROP COLUMN step, DROP COLUMN stage, DROP COLUMN error_type,
    DROP COLUMN message, DROP COLUMN resolution;
