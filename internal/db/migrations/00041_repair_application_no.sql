-- Numbers of credit repair applications (XF<year>-<seq>), drawn by the API
-- when it files an application.

-- +goose Up
CREATE SEQUENCE repair_application_no;

-- +goose Down
DROP SEQUENCE repair_application_no;
