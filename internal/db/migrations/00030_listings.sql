-- Serious-dishonesty list (严重失信主体名单): the projection of the listing
-- workflows (DESIGN.md §2.2). One row per proposal; listing_records the
-- records the proposal relies on. The workflow is the source of truth; the
-- public list, inboxes and the repair procedure (which finds the listing to
-- signal by record) read these rows.

-- +goose Up
CREATE SEQUENCE listing_proposal_seq;

CREATE TABLE listings (
    proposal_no       text        PRIMARY KEY,
    workflow_id       text        NOT NULL UNIQUE,
    subject_id        bigint      NOT NULL REFERENCES subjects,
    provider_id       bigint      NOT NULL REFERENCES providers,
    profile_id        text        NOT NULL,
    status            text        NOT NULL
                      CHECK (status IN ('proposed', 'noticed', 'listed', 'not_listed', 'removed')),
    stage             text        NOT NULL DEFAULT '',
    reasons           text        NOT NULL DEFAULT '',
    legal_basis       text[]      NOT NULL DEFAULT '{}',
    measures          text[]      NOT NULL DEFAULT '{}',
    joint_punishment  boolean     NOT NULL DEFAULT false,
    period            text        NOT NULL DEFAULT '',
    proposed_at       timestamptz NOT NULL,
    served_at         timestamptz,
    listed_at         timestamptz,
    removal_due       date,
    removed_at        timestamptz,
    removal_reason    text        NOT NULL DEFAULT '',
    archived          boolean     NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listings_subject  ON listings (subject_id, proposed_at DESC);
CREATE INDEX listings_provider ON listings (provider_id, proposed_at DESC);
-- The public list: current entries, soonest removal first.
CREATE INDEX listings_current ON listings (removal_due, proposal_no) WHERE status = 'listed';

CREATE TABLE listing_records (
    proposal_no  text   NOT NULL REFERENCES listings,
    record_id    bigint NOT NULL REFERENCES records,
    PRIMARY KEY (proposal_no, record_id)
);
-- The repair procedure looks listings up by record.
CREATE INDEX listing_records_record ON listing_records (record_id);

-- +goose Down
DROP TABLE listing_records;
DROP TABLE listings;
DROP SEQUENCE listing_proposal_seq;
