-- A provider may withdraw a listing proposal before the decision (issue
-- 19.5): the listing ends with status withdrawn.

-- +goose Up
ALTER TABLE listings DROP CONSTRAINT listings_status_check;
ALTER TABLE listings ADD CONSTRAINT listings_status_check
    CHECK (status IN ('proposed', 'noticed', 'listed', 'not_listed', 'removed', 'withdrawn'));

-- +goose Down
ALTER TABLE listings DROP CONSTRAINT listings_status_check;
ALTER TABLE listings ADD CONSTRAINT listings_status_check
    CHECK (status IN ('proposed', 'noticed', 'listed', 'not_listed', 'removed'));
