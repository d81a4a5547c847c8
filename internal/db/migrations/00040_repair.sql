-- Credit repair (信用修复, DESIGN.md §2.3).
--
-- repair_applications        one row per application, written by the API when
--                            it files one; at most one open per record
-- repair_publicity           the repair proposal published for the publicity
--                            period (公示): only what the public record shows
-- repair_public_objections   objections anyone raised during a publicity
--                            period, the provider's verification and answer
-- repair_archive             the original record as it stood when repaired
--                            (归档留存): kept, never changed
-- record_outbox              what downstream users of a record must learn
--                            (repaired, disclosure stopped); an integration
--                            reads undelivered rows and sets delivered_at

-- +goose Up
CREATE TABLE repair_applications (
    application_no   text        PRIMARY KEY,
    record_id        bigint      NOT NULL REFERENCES records,
    subject_id       bigint      NOT NULL REFERENCES subjects,
    provider_id      bigint      NOT NULL REFERENCES providers,
    profile_id       text        NOT NULL,
    commitment_id    bigint      NOT NULL REFERENCES evidence,
    evidence_ids     bigint[]    NOT NULL DEFAULT '{}',
    statement        text        NOT NULL DEFAULT '',
    status           text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    outcome          text        NOT NULL DEFAULT '',
    filed_by         text        NOT NULL,
    filed_at         timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz
);
-- One open application per record: a second is refused (409).
CREATE UNIQUE INDEX repair_applications_one_open ON repair_applications (record_id) WHERE status = 'open';
CREATE INDEX repair_applications_subject ON repair_applications (subject_id, filed_at DESC);

CREATE TABLE repair_publicity (
    application_no    text        PRIMARY KEY REFERENCES repair_applications,
    record_id         bigint      NOT NULL REFERENCES records,
    subject_name      text        NOT NULL,
    subject_ident     text        NOT NULL,  -- masked as in the public lookup
    provider_name     text        NOT NULL,
    record_title      text        NOT NULL,
    decision_no       text        NOT NULL,
    decided_on        date        NOT NULL,
    proposed_outcome  text        NOT NULL,
    starts_at         timestamptz NOT NULL,
    ends_on           date        NOT NULL,
    ends_at           timestamptz NOT NULL,
    explanation       text        NOT NULL,
    status            text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ended', 'withdrawn')),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repair_publicity_running ON repair_publicity (ends_at) WHERE status = 'running';

CREATE TABLE repair_public_objections (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_no  text        NOT NULL REFERENCES repair_applications,
    receipt         text        NOT NULL UNIQUE,
    contact_name    text        NOT NULL,
    contact         text        NOT NULL,
    grounds         text        NOT NULL,
    client_hash     text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'refused', 'upheld', 'rejected')),
    answer          text        NOT NULL DEFAULT '',
    answered_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repair_public_objections_case ON repair_public_objections (application_no, id);

CREATE TABLE repair_archive (
    application_no  text        PRIMARY KEY REFERENCES repair_applications,
    record_id       bigint      NOT NULL REFERENCES records,
    version         integer     NOT NULL,
    prior_status    text        NOT NULL,
    snapshot        jsonb       NOT NULL,
    archived_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE record_outbox (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id     bigint      NOT NULL REFERENCES records,
    event         text        NOT NULL,
    dedup_key     text        NOT NULL UNIQUE,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);
CREATE INDEX record_outbox_undelivered ON record_outbox (id) WHERE delivered_at IS NULL;

-- +goose StatementBegin
CREATE FUNCTION repair_archive_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'creditcase: repair_archive is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER repair_archive_append_only BEFORE UPDATE OR DELETE ON repair_archive
    FOR EACH ROW EXECUTE FUNCTION repair_archive_append_only();

-- +goose Down
DROP TRIGGER repair_archive_append_only ON repair_archive;
DROP FUNCTION repair_archive_append_only();
DROP TABLE record_outbox;
DROP TABLE repair_archive;
DROP TABLE repair_public_objections;
DROP TABLE repair_publicity;
DROP TABLE repair_applications;
