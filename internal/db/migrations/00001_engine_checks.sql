-- Engine checks: one row per end-to-end check of the running system
-- (API -> Temporal -> worker -> PostgreSQL), written by the worker's
-- activity. Operators use them to see that cases can move at all.

-- +goose Up
CREATE TABLE engine_checks (
    id            text        PRIMARY KEY,
    workflow_id   text        NOT NULL,
    run_id        text        NOT NULL,
    request_id    text        NOT NULL DEFAULT '',
    requested_at  timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    worker        text        NOT NULL
);
CREATE INDEX engine_checks_recorded_at ON engine_checks (recorded_at DESC);

-- +goose Down
DROP TABLE engine_checks;
