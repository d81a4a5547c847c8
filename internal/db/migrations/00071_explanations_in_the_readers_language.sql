-- How each deadline was counted, in Chinese and in English, written from the
-- calendar's computation when the deadline is computed (the letters, the
-- inbox and the API pick the reader's language); the inbox message in
-- English beside the Chinese one; a provider's e-mail address for notices.

-- +goose Up
ALTER TABLE case_deadlines ADD COLUMN explanation_zh text NOT NULL DEFAULT '';
ALTER TABLE case_deadlines ADD COLUMN explanation_en text NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN message_en text NOT NULL DEFAULT '';
ALTER TABLE providers ADD COLUMN contact_email text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE providers DROP COLUMN contact_email;
ALTER TABLE notifications DROP COLUMN message_en;
ALTER TABLE case_deadlines DROP COLUMN explanation_en;
ALTER TABLE case_deadlines DROP COLUMN explanation_zh;
