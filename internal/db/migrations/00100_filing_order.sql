-- Crash-safe filing (issue 12).
--
-- case_starts     the workflow start a filing owes: written in the same
--                 transaction as the case's row, with the workflow's input.
--                 The workflow is started only after that commit (its ID is
--                 the case's, so a start is never made twice); started_at says
--                 it was. A start lost to a crash is made by the client's
--                 retry or by the core's sweep. request_key is the client's
--                 Idempotency-Key: a retry after a crash finds its case.
-- idempotency_keys  the first answer to a state-changing request sent with an
--                 Idempotency-Key, per caller and key: the same request again
--                 gets it again, a different request with the same key is
--                 refused. locked_until is the lease of the request running
--                 now; a lease run out (the process died) lets a retry run it.

-- +goose Up
CREATE TABLE case_starts (
    workflow_id  text        PRIMARY KEY,
    case_no      text        NOT NULL UNIQUE,
    kind         text        NOT NULL CHECK (kind IN ('objection', 'listing', 'repair')),
    input        jsonb       NOT NULL,
    filed_by     text        NOT NULL,
    request_key  text,
    answer       jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz
);
CREATE UNIQUE INDEX case_starts_request_key ON case_starts (filed_by, request_key) WHERE request_key IS NOT NULL;
CREATE INDEX case_starts_pending ON case_starts (created_at) WHERE started_at IS NULL;

CREATE TABLE idempotency_keys (
    owner         text        NOT NULL,
    key           text        NOT NULL,
    method        text        NOT NULL,
    path          text        NOT NULL,
    request_hash  bytea       NOT NULL,
    status        integer,
    content_type  text        NOT NULL DEFAULT '',
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz NOT NULL,
    PRIMARY KEY (owner, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE case_starts;
