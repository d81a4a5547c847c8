-- The cases a calendar recompute run told to recompute (one row per case and
-- revision): signalled when the run reaches them, done when the case has
-- recomputed its open deadlines, with how many moved. Progress of a run is
-- the share of its cases done (closed cases count as done).

-- +goose Up
CREATE TABLE calendar_recompute_cases (
    rev           bigint      NOT NULL REFERENCES calendar_revisions,
    case_no       text        NOT NULL REFERENCES cases,
    signalled_at  timestamptz NOT NULL DEFAULT now(),
    done_at       timestamptz,
    moved         integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (rev, case_no)
);

-- +goose Down
DROP TABLE calendar_recompute_cases;
