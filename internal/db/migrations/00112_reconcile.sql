-- No stale case (issue 19.6): the reconciler compares the open projection
-- rows with the engine and repairs or flags each mismatch; it also frees a
-- record left "under objection" with no live case.
--
-- reconcile_runs      one row per run (scheduled or on demand) with its
--                     counters
-- reconcile_findings  every mismatch found: what the engine said, what the
--                     row said, and whether it was repaired or flagged for
--                     a person. Each is also written to the case's events
--                     with seq = ReconcileEventSeqBase + id (a range of its
--                     own, like the escalation actions of 00020).

-- +goose Up
CREATE TABLE reconcile_runs (
    run_id       text        PRIMARY KEY,
    trigger      text        NOT NULL CHECK (trigger IN ('schedule', 'demand')),
    requested_by text        NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    checked      integer     NOT NULL DEFAULT 0,
    repaired     integer     NOT NULL DEFAULT 0,
    flagged      integer     NOT NULL DEFAULT 0
);
CREATE INDEX reconcile_runs_started ON reconcile_runs (started_at DESC);

CREATE TABLE reconcile_findings (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         text        NOT NULL REFERENCES reconcile_runs,
    case_no        text        REFERENCES cases,
    record_id      bigint      REFERENCES records,
    workflow_id    text        NOT NULL DEFAULT '',
    engine_status  text        NOT NULL DEFAULT '',
    problem        text        NOT NULL,
    action         text        NOT NULL CHECK (action IN ('repaired', 'flagged')),
    detail         text        NOT NULL DEFAULT '',
    at             timestamptz NOT NULL DEFAULT now(),
    -- One finding of a kind per case and run: a retried batch adds none.
    UNIQUE NULLS NOT DISTINCT (run_id, case_no, record_id, problem)
);
CREATE INDEX reconcile_findings_flagged ON reconcile_findings (at DESC) WHERE action = 'flagged';
CREATE INDEX reconcile_findings_case ON reconcile_findings (case_no, id);
CREATE TRIGGER reconcile_findings_append_only BEFORE UPDATE OR DELETE ON reconcile_findings
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
-- The reconciler walks the open cases in case-number order.
CREATE INDEX cases_open_keyset ON cases (case_no) WHERE status = 'open';

-- +goose Down
DROP INDEX cases_open_keyset;
DROP TABLE reconcile_findings;
DROP TABLE reconcile_runs;
