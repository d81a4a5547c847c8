-- Activities that keep failing (issue 16): one row per workflow and
-- activity type while its attempts fail, written by the worker after each
-- failed attempt and removed when an attempt succeeds. A case page and the
-- board show them, and the API answers a step that cannot finish with what
-- actually fails (a missing font, a calendar year, the database) instead
-- of "engine unavailable". The message is the error's own text with any
-- identity number masked; it names what to fix, never personal data.

-- +goose Up
CREATE TABLE activity_failures (
    workflow_id      text        NOT NULL,
    activity_type    text        NOT NULL,
    case_no          text,
    attempts         integer     NOT NULL CHECK (attempts > 0),
    first_failed_at  timestamptz NOT NULL,
    last_failed_at   timestamptz NOT NULL,
    cause            text        NOT NULL CHECK (cause IN ('fonts', 'calendar', 'database', 'documents', 'other')),
    message          text        NOT NULL,
    PRIMARY KEY (workflow_id, activity_type)
);
CREATE INDEX activity_failures_case ON activity_failures (case_no) WHERE case_no IS NOT NULL;
CREATE INDEX activity_failures_recent ON activity_failures (last_failed_at DESC);

-- +goose Down
DROP TABLE activity_failures;
