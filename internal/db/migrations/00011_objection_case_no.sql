-- Objection case numbers (异议案件编号), drawn by the API when a subject
-- files: YY<year>-<six digits>, e.g. YY2026-000123. The sequence never
-- repeats a number, so the workflow ID derived from it (objection:<case-no>)
-- is unique; a number drawn for a filing that was then refused is simply
-- not used.

-- +goose Up
CREATE SEQUENCE objection_case_no AS bigint MINVALUE 1 NO CYCLE;

-- +goose Down
DROP SEQUENCE objection_case_no;
