-- The public lookup (社会公开信息查询, issue 20.4) serves a subject's
-- publicly disclosed records newest first, at most 100: for a common name
-- (王伟: thousands of subjects, tens of thousands of records) the newest
-- hundred are picked from this index alone — status and disclosure end are
-- in it, so no record row is read until the hundred are known. Built
-- concurrently, so a province's register keeps taking writes meanwhile.

-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS records_public_lookup ON records (subject_id, id DESC)
    INCLUDE (status, disclosure_end) WHERE disclosure = 'public';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS records_public_lookup;
