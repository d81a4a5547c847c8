-- Supervision (issue 8): the supervisors' deadline board, escalation
-- handling, the provider performance report, the daily disclosure-expiry
-- sweep and the inbox.
--
-- Board lights are not stored: green/yellow/red depend on "now" and on the
-- working-day calendar. The board turns a light into a due_at range (per
-- profile region and warning margin, computed in Go through the calendar),
-- so every board query is a range scan of an index on case_deadlines.due_at
-- (see internal/supervision/board.go).

-- +goose Up
-- Board filtered by the party responsible, soonest first.
CREATE INDEX case_deadlines_open_party ON case_deadlines (party, due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed');
-- Board keyset order (due_at, case_no, rule_id, seq) without a sort.
CREATE INDEX case_deadlines_open_keyset ON case_deadlines (due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed');
-- Provider performance report: settled provider deadlines by due date.
CREATE INDEX case_deadlines_provider_settled ON case_deadlines (due_at, party, rule_id)
    WHERE state IN ('met', 'missed') AND party LIKE 'provider:%';

-- Who the supervisors handed an escalation to, and when it last changed.
ALTER TABLE escalations ADD COLUMN assigned_to bigint REFERENCES accounts;
ALTER TABLE escalations ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX escalations_state ON escalations (state, id DESC);

-- Every handling of an escalation (acknowledge, reassign, order correction),
-- append-only. Each row is also written to the case's events (case_events)
-- with seq = EscalationEventSeqBase + id: the workflow numbers its own
-- events from 1 with a counter kept in its history and inserts them with ON
-- CONFLICT DO NOTHING, so taking max(seq)+1 here could steal a number the
-- workflow is about to use and its event would be silently lost. A disjoint
-- range cannot collide.
CREATE TABLE escalation_actions (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    escalation_id  bigint      NOT NULL REFERENCES escalations,
    case_no        text        NOT NULL REFERENCES cases,
    action         text        NOT NULL CHECK (action IN ('acknowledge', 'reassign', 'order-correction')),
    account_id     bigint      NOT NULL REFERENCES accounts,
    actor          text        NOT NULL,
    note           text        NOT NULL DEFAULT '',
    assigned_to    bigint      REFERENCES accounts,
    state_before   text        NOT NULL,
    state_after    text        NOT NULL,
    request_id     text        NOT NULL DEFAULT '',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escalation_actions_escalation ON escalation_actions (escalation_id, id);
CREATE TRIGGER escalation_actions_append_only BEFORE UPDATE OR DELETE ON escalation_actions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Disclosure-expiry sweep: keyset (disclosure_end, id) over records still
-- disclosed, so each batch is an index range scan however many expire.
CREATE INDEX records_disclosure_sweep ON records (disclosure_end, id)
    WHERE status NOT IN ('archived', 'repaired') AND disclosure_end IS NOT NULL;

-- One row per sweep run (the workflow ID of the scheduled run); counters are
-- added in the same transaction as the records they count.
CREATE TABLE sweep_runs (
    run_id       text        PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('disclosure')),
    as_of        date        NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    batches      integer     NOT NULL DEFAULT 0,
    archived     integer     NOT NULL DEFAULT 0,
    under_case   integer     NOT NULL DEFAULT 0,
    last_end     date,
    last_id      bigint      NOT NULL DEFAULT 0
);
CREATE INDEX sweep_runs_started ON sweep_runs (started_at DESC);

-- Inbox: unread first per party.
CREATE INDEX notifications_party_id ON notifications (party, id DESC);

-- +goose Down
DROP INDEX notifications_party_id;
DROP TABLE sweep_runs;
DROP INDEX records_disclosure_sweep;
DROP TABLE escalation_actions;
DROP INDEX escalations_state;
ALTER TABLE escalations DROP COLUMN updated_at;
ALTER TABLE escalations DROP COLUMN assigned_to;
DROP INDEX case_deadlines_provider_settled;
DROP INDEX case_deadlines_open_keyset;
DROP INDEX case_deadlines_open_party;
