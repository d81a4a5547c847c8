-- The query log also holds public lookups by a full citizen identity number
-- (issue 16): such a lookup turns a number into a name, so each one is
-- logged — which subject it found (or none), the number masked, the
-- client's address — whether or not a record came back.

-- +goose Up
ALTER TABLE query_log
    ALTER COLUMN record_id DROP NOT NULL,
    ADD COLUMN subject_id bigint REFERENCES subjects,
    ADD COLUMN client     text NOT NULL DEFAULT '',
    ADD COLUMN lookup     text NOT NULL DEFAULT '',
    ADD CONSTRAINT query_log_what CHECK (record_id IS NOT NULL OR lookup <> '');
CREATE INDEX query_log_subject ON query_log (subject_id, id DESC) WHERE subject_id IS NOT NULL;

-- +goose Down
DROP INDEX query_log_subject;
-- Lookup rows without a record cannot be kept by the old schema, and the
-- log is append-only: going down fails while any exist.
ALTER TABLE query_log
    DROP CONSTRAINT query_log_what,
    DROP COLUMN lookup,
    DROP COLUMN client,
    DROP COLUMN subject_id,
    ALTER COLUMN record_id SET NOT NULL;
