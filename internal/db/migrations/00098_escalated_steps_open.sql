-- The board's first page lists the steps of open cases that stopped on a
-- data error (escalations of kind 'step', migration 00105) oldest first.
-- Without an index of their own that list read every escalation: with a
-- million cases some 85 000 deadline escalations are open, and the scan
-- took 8–18 ms of every first page of the board (issue 15: p99 ≤ 50 ms).
-- The escalated steps not yet resolved are a handful: this index holds
-- them alone, in the order the board lists them.
--
-- An escalated step's rule_id is 'step:' + the step (activities.
-- StepRulePrefix), and a deadline's rule never starts so: the index is
-- kept on that, not on the kind column, because this migration runs
-- before 00105 adds the column on a new database.

-- +goose Up
CREATE INDEX escalations_steps_open ON escalations (since, id) WHERE rule_id LIKE 'step:%' AND state <> 'resolved';

-- +goose Down
DROP INDEX escalations_steps_open;
