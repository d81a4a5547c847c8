-- Case files: evidence uploaded by the parties (证据材料) and the written
-- notices the centre issues (告知书, 通知书, 核查函, 决定书).
--
-- Evidence is content-addressed: evidence_blobs holds each distinct file
-- once, keyed by its SHA-256; evidence links a blob to a case under the name
-- it was uploaded with. Uploading the same bytes to the same case again
-- returns the existing row. Sizes are checked by the application
-- (internal/evidence) before a row is written; the per-case total is
-- enforced under a per-case advisory lock.
--
-- Documents are keyed by (case_ref, kind, number): a document number
-- (文号) is issued once, so saving it again is idempotent and a different
-- document under a number already used is refused by the application.
--
-- All three tables are append-only: an issued notice or a filed piece of
-- evidence is never changed or removed.

-- +goose Up
CREATE TABLE evidence_blobs (
    sha256        text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type  text        NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size          bigint      NOT NULL CHECK (size > 0),
    data          bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (octet_length(data) = size)
);

CREATE TABLE evidence (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_ref     text        NOT NULL CHECK (case_ref <> ''),
    sha256       text        NOT NULL REFERENCES evidence_blobs,
    name         text        NOT NULL CHECK (name <> ''),
    uploaded_by  text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_ref, sha256)
);
CREATE INDEX evidence_case ON evidence (case_ref, id);

CREATE TABLE case_documents (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_ref        text        NOT NULL CHECK (case_ref <> ''),
    kind            text        NOT NULL CHECK (kind <> ''),
    number          text        NOT NULL CHECK (number <> ''),
    title           text        NOT NULL CHECK (title <> ''),
    recipient_role  text        NOT NULL CHECK (recipient_role IN ('subject', 'provider', 'supervisor', 'caseworker', 'public')),
    html            bytea       NOT NULL,
    pdf             bytea       NOT NULL,
    sha256          text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_ref, kind, number)
);
CREATE INDEX case_documents_case ON case_documents (case_ref, id);

-- +goose StatementBegin
CREATE FUNCTION refuse_case_file_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'creditcase: % is append-only; rows are never updated or deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER evidence_blobs_append_only BEFORE UPDATE OR DELETE ON evidence_blobs
    FOR EACH ROW EXECUTE FUNCTION refuse_case_file_change();
CREATE TRIGGER evidence_blobs_no_truncate BEFORE TRUNCATE ON evidence_blobs
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_case_file_change();
CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION refuse_case_file_change();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_case_file_change();
CREATE TRIGGER case_documents_append_only BEFORE UPDATE OR DELETE ON case_documents
    FOR EACH ROW EXECUTE FUNCTION refuse_case_file_change();
CREATE TRIGGER case_documents_no_truncate BEFORE TRUNCATE ON case_documents
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_case_file_change();

-- +goose Down
DROP TABLE case_documents;
DROP TABLE evidence;
DROP TABLE evidence_blobs;
DROP FUNCTION refuse_case_file_change();
