-- Inbox of a subject: its notices are found through its cases.

-- +goose Up
CREATE INDEX notifications_case ON notifications (case_no, id DESC);

-- +goose Down
DROP INDEX notifications_case;
