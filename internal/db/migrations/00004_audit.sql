-- The audit trail: audit_events holds every change (who, role, when, what,
-- why, request ID) and every refused attempt; query_log holds every read of
-- a record that is not public (社会公开), with its purpose.
--
-- Retention: both are kept at least 5 years (Nanning personal credit rules
-- art. 18). They are append-only: triggers refuse UPDATE, DELETE and
-- TRUNCATE for every role, the application's included. Removing rows older
-- than the retention period is an operator's deliberate act outside the
-- application (disable the trigger in a reviewed maintenance session).

-- +goose Up
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    account_id  bigint      REFERENCES accounts,
    actor       text        NOT NULL,
    role        text        NOT NULL,
    action      text        NOT NULL,
    object_type text        NOT NULL DEFAULT '',
    object_id   text        NOT NULL DEFAULT '',
    reason      text        NOT NULL DEFAULT '',
    request_id  text        NOT NULL DEFAULT '',
    data        jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id, id DESC);
CREATE INDEX audit_events_action ON audit_events (action, id DESC);

CREATE TABLE query_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    account_id  bigint      REFERENCES accounts,
    actor       text        NOT NULL,
    role        text        NOT NULL,
    record_id   bigint      NOT NULL REFERENCES records,
    purpose     text        NOT NULL CHECK (purpose <> ''),
    request_id  text        NOT NULL DEFAULT ''
);
CREATE INDEX query_log_record ON query_log (record_id, id DESC);
CREATE INDEX query_log_account ON query_log (account_id, id DESC);

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER query_log_append_only BEFORE UPDATE OR DELETE ON query_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER query_log_no_truncate BEFORE TRUNCATE ON query_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE query_log;
DROP TABLE audit_events;
