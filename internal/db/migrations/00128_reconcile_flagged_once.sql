-- An open case the reconciler flags for a person (a listed entry whose
-- workflow ended, a workflow that completed with its row open) is flagged
-- once, like a closed one in its appeal window (00127): marked
-- (cases.workflow_lost_at) and not walked again. Before, it was walked,
-- listed, described and flagged again on every pass — a finding and a case
-- event every 30 minutes.
--
-- cases_reconcile_keyset  the rows a pass walks, in case-number order: the
--                         unmarked rows whose workflow must run (open, or
--                         closed at a stage not finished). Replaces
--                         cases_held_keyset.

-- +goose Up
CREATE INDEX cases_reconcile_keyset ON cases (case_no)
    WHERE workflow_lost_at IS NULL AND (status = 'open' OR stage <> 'finished');
DROP INDEX cases_held_keyset;

-- +goose Down
CREATE INDEX cases_held_keyset ON cases (case_no)
    WHERE status = 'open' OR (stage <> 'finished' AND workflow_lost_at IS NULL);
DROP INDEX cases_reconcile_keyset;
