-- Case projection: what the case workflows write through their activities so
-- that lists, inboxes and the supervisor board read PostgreSQL, never
-- Temporal. The workflow is the source of truth; these rows follow it.
--
-- cases           one row per case (objection, listing, repair), current stage
-- case_deadlines  every deadline ever computed for a case; a recomputed or
--                 moved deadline gets a new seq and the old row says by whom
--                 it was superseded, so old and new values both stay
-- case_events     append-only: who did what, when and why
-- escalations     one row per lapsed deadline escalated to the supervisors
-- notifications   the in-app inbox of every party

-- +goose Up
CREATE TABLE cases (
    case_no          text        PRIMARY KEY,
    kind             text        NOT NULL CHECK (kind IN ('objection', 'listing', 'repair')),
    workflow_id      text        NOT NULL UNIQUE,
    record_id        bigint      NOT NULL,
    subject_id       bigint      NOT NULL,
    provider_id      bigint      NOT NULL,
    profile_id       text        NOT NULL,
    profile_version  text        NOT NULL,
    stage            text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('open', 'closed', 'withdrawn')),
    outcome          text        NOT NULL DEFAULT '',
    next_due_at      timestamptz,
    next_rule        text        NOT NULL DEFAULT '',
    opened_at        timestamptz NOT NULL,
    accepted_at      timestamptz,
    closed_at        timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- Inboxes: by kind and stage, soonest deadline first; per subject; per provider.
CREATE INDEX cases_kind_stage_due ON cases (kind, stage, next_due_at) WHERE status = 'open';
CREATE INDEX cases_subject  ON cases (subject_id, opened_at DESC);
CREATE INDEX cases_provider ON cases (provider_id, opened_at DESC);
-- At most one open objection per record and subject (a second is refused).
CREATE UNIQUE INDEX cases_one_open_objection ON cases (record_id, subject_id) WHERE kind = 'objection' AND status = 'open';

CREATE TABLE case_deadlines (
    case_no           text        NOT NULL REFERENCES cases,
    rule_id           text        NOT NULL,
    seq               integer     NOT NULL,
    party             text        NOT NULL,
    starts_at         timestamptz NOT NULL,
    start_date        date        NOT NULL,
    n                 integer     NOT NULL,
    unit              text        NOT NULL,
    extra_wd          integer     NOT NULL DEFAULT 0,
    due_date          date        NOT NULL,
    due_at            timestamptz NOT NULL,
    remind_at         timestamptz,
    calendar_version  text        NOT NULL,
    provisional       boolean     NOT NULL DEFAULT false,
    explanation       text        NOT NULL,
    source            text        NOT NULL DEFAULT '',
    state             text        NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'met', 'missed', 'cancelled', 'superseded')),
    settled_at        timestamptz,
    reason            text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_no, rule_id, seq)
);
CREATE INDEX case_deadlines_open ON case_deadlines (due_at) WHERE state IN ('pending', 'missed');

CREATE TABLE case_events (
    case_no     text        NOT NULL REFERENCES cases,
    seq         integer     NOT NULL,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    role        text        NOT NULL,
    action      text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    data        jsonb       NOT NULL DEFAULT '{}',
    request_id  text        NOT NULL DEFAULT '',
    PRIMARY KEY (case_no, seq)
);

-- +goose StatementBegin
CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'creditcase: case_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

CREATE TABLE escalations (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_no      text        NOT NULL REFERENCES cases,
    rule_id      text        NOT NULL,
    seq          integer     NOT NULL,
    party        text        NOT NULL,
    since        timestamptz NOT NULL,
    state        text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_no, rule_id, seq)
);
CREATE INDEX escalations_open ON escalations (since) WHERE state = 'open';

CREATE TABLE notifications (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key    text        NOT NULL UNIQUE,
    case_no      text        NOT NULL REFERENCES cases,
    party        text        NOT NULL,
    kind         text        NOT NULL,
    message      text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz
);
CREATE INDEX notifications_party ON notifications (party, created_at DESC);

-- The label an objection put on a record, with the status to restore.
CREATE TABLE record_labels (
    case_no       text        PRIMARY KEY REFERENCES cases,
    record_id     bigint      NOT NULL,
    prior_status  text        NOT NULL,
    suspended     boolean     NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Outcomes applied to records, one per case step (decision, appeal decision).
CREATE TABLE record_outcomes (
    outcome_key   text        PRIMARY KEY,
    case_no       text        NOT NULL REFERENCES cases,
    record_id     bigint      NOT NULL,
    outcome       text        NOT NULL,
    reason        text        NOT NULL,
    applied_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE record_outcomes;
DROP TABLE record_labels;
DROP TABLE notifications;
DROP TABLE escalations;
DROP TABLE case_events;
DROP FUNCTION case_events_append_only();
DROP TABLE case_deadlines;
DROP TABLE cases;
