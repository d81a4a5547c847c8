-- The dishonesty category of a negative record (失信行为类别, issue 19.3):
-- the provider's code for the behaviour, e.g. 虚假宣传, 拖欠工资. Credit
-- repair's "no dishonesty of the same kind" (同类失信行为, Nantong art.
-- 34(二)) compares categories; records without one fall back to "same
-- provider", and the eligibility says so.

-- +goose Up
ALTER TABLE records ADD COLUMN dishonesty_category text NOT NULL DEFAULT '';
ALTER TABLE records ADD CONSTRAINT records_dishonesty_category
    CHECK (dishonesty_category = '' OR category = 'negative');
-- Repair eligibility looks up the subject's negative records by category.
CREATE INDEX records_subject_dishonesty ON records (subject_id, dishonesty_category) WHERE category = 'negative';

-- +goose Down
DROP INDEX records_subject_dishonesty;
ALTER TABLE records DROP CONSTRAINT records_dishonesty_category;
ALTER TABLE records DROP COLUMN dishonesty_category;
