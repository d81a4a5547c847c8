-- Credit records (信用信息) and the parties they concern: subjects (信息主体),
-- natural persons by citizen identity number (GB 11643) or organisations by
-- unified social credit code (GB 32100), and providers (信息提供单位), the
-- departments that supply records. Check characters are verified by the
-- application (internal/ident) before a row is written.
--
-- A record is versioned: records holds the current version, record_versions
-- every version ever written (the first included). A correction writes a new
-- version; no version is ever changed or removed (trigger below).

-- +goose Up
CREATE TABLE providers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text        NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text        NOT NULL CHECK (name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subjects (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text        NOT NULL CHECK (kind IN ('person', 'organisation')),
    ident            text        NOT NULL UNIQUE CHECK (length(ident) = 18),
    name             text        NOT NULL CHECK (name <> ''),
    contact_address  text        NOT NULL DEFAULT '',
    contact_phone    text        NOT NULL DEFAULT '',
    contact_email    text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subjects_name ON subjects (name);

CREATE TABLE records (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id       bigint      NOT NULL REFERENCES subjects,
    provider_id      bigint      NOT NULL REFERENCES providers,
    version          integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    category         text        NOT NULL CHECK (category IN ('basic', 'positive', 'negative', 'other')),
    severity         text        CHECK (severity IN ('minor', 'general', 'serious')),
    disclosure       text        NOT NULL CHECK (disclosure IN ('public', 'government', 'authorised')),
    title            text        NOT NULL CHECK (title <> ''),
    content          text        NOT NULL DEFAULT '',
    decision_no      text        NOT NULL CHECK (decision_no <> ''),
    decided_on       date        NOT NULL,
    disclosure_end   date,
    period_rule      text        NOT NULL DEFAULT '',
    profile_id       text        NOT NULL DEFAULT '',
    profile_version  text        NOT NULL DEFAULT '',
    consent_ref      text        NOT NULL DEFAULT '',
    details          jsonb       NOT NULL DEFAULT '{}',
    status           text        NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'under_objection', 'suspended', 'corrected', 'repaired', 'archived')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- severity belongs to negative records and only to them.
    CHECK ((category = 'negative') = (severity IS NOT NULL)),
    UNIQUE (provider_id, subject_id, decision_no)
);
-- Lists are keyset-paged newest first, per subject, per provider or overall.
CREATE INDEX records_subject  ON records (subject_id, id DESC);
CREATE INDEX records_provider ON records (provider_id, id DESC);
CREATE INDEX records_category ON records (category, id DESC);
-- The daily sweep looks for disclosures that have run out.
CREATE INDEX records_disclosure_end ON records (disclosure_end) WHERE status NOT IN ('archived', 'repaired');

CREATE TABLE record_versions (
    record_id    bigint      NOT NULL REFERENCES records,
    version      integer     NOT NULL,
    snapshot     jsonb       NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    written_by   text        NOT NULL,
    written_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'creditcase: % is append-only; rows are never updated or deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER record_versions_append_only BEFORE UPDATE OR DELETE ON record_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER record_versions_no_truncate BEFORE TRUNCATE ON record_versions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE record_versions;
DROP FUNCTION refuse_change();
DROP TABLE records;
DROP TABLE subjects;
DROP TABLE providers;
