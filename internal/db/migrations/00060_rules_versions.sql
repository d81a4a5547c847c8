-- The rules every role reads, kept in PostgreSQL so that every API, worker
-- and board replica sees the same ones at once (issues 11.2 and 17).
--
-- calendar_revisions  one row per change of the working-day calendar: the
--                     first is the data embedded in the binary; then each
--                     import (CLI, admin endpoint, CALENDAR_DIR at start)
--                     with who, why, from where and the diff it made
-- calendar_files      the data files (cn/YYYY.json, regions/NAME.json) as
--                     versioned rows: revision R is, for each key, the row
--                     with the greatest rev <= R
-- calendar_versions   the version string a compiled table carries onto every
--                     deadline (e.g. cn-3f9a1c2b7d4e, a hash of its data) and
--                     the revision that first had it, so a deadline's own
--                     calendar can be rebuilt whatever came later
-- policy_profile_versions  every version of every policy profile a process
--                     has loaded, with its YAML, so a running case keeps
--                     the version it opened with after a profile change
-- calendar_recomputes one row per recompute run after an import: progress
--                     and summary for the operator

-- +goose Up
CREATE TABLE calendar_revisions (
    rev         bigint      PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    reason      text        NOT NULL,
    origin      text        NOT NULL,
    changes     jsonb       NOT NULL DEFAULT '{}'
);

CREATE TABLE calendar_files (
    key     text   NOT NULL CHECK (key ~ '^(cn/[0-9]{4}|regions/[a-z0-9_-]{1,32})\.json$'),
    rev     bigint NOT NULL REFERENCES calendar_revisions,
    digest  text   NOT NULL,
    data    text   NOT NULL,
    PRIMARY KEY (key, rev)
);
CREATE INDEX calendar_files_digest ON calendar_files (key, digest);

CREATE TABLE calendar_versions (
    version  text   PRIMARY KEY,
    region   text   NOT NULL,
    rev      bigint NOT NULL REFERENCES calendar_revisions
);

CREATE TABLE policy_profile_versions (
    profile_id  text        NOT NULL,
    version     text        NOT NULL,
    origin      text        NOT NULL,
    document    text        NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_id, version)
);

CREATE TABLE calendar_recomputes (
    rev          bigint      PRIMARY KEY REFERENCES calendar_revisions,
    workflow_id  text        NOT NULL,
    state        text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
    cases_total  integer     NOT NULL DEFAULT 0,
    cases_done   integer     NOT NULL DEFAULT 0,
    deadlines_moved integer  NOT NULL DEFAULT 0,
    summary      jsonb       NOT NULL DEFAULT '{}',
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- Open deadlines by how they were counted, for the recompute and the
-- operator view (provisional ones, and those running over changed days).
CREATE INDEX case_deadlines_open_span ON case_deadlines (start_date, due_date)
    WHERE state = 'pending';

-- +goose Down
DROP INDEX case_deadlines_open_span;
DROP TABLE calendar_recomputes;
DROP TABLE policy_profile_versions;
DROP TABLE calendar_versions;
DROP TABLE calendar_files;
DROP TABLE calendar_revisions;
