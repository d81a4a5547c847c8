-- The day the applicant says the behaviour was corrected (纠正之日, Nantong
-- art. 34(二): 自纠正之日起1年内未再发生同类失信行为), stated with a repair
-- application; "same kind" runs from it (issue 19.3). NULL: not stated.

-- +goose Up
ALTER TABLE repair_applications ADD COLUMN corrected_on date;

-- +goose Down
ALTER TABLE repair_applications DROP COLUMN corrected_on;
