-- The board's lights follow the profile version a case runs under (issue
-- 11.2): its warning margin is that version's, not the one loaded now. The
-- case's profile version is copied onto its deadlines like its profile
-- (00023), so a page still needs no join with cases.

-- +goose Up
ALTER TABLE case_deadlines ADD COLUMN case_profile_version text NOT NULL DEFAULT '';
UPDATE case_deadlines d SET case_profile_version = c.profile_version
FROM cases c WHERE c.case_no = d.case_no AND c.profile_version <> '';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION case_deadlines_take_case_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c cases%ROWTYPE;
BEGIN
    SELECT * INTO c FROM cases WHERE case_no = NEW.case_no;
    IF FOUND THEN
        NEW.case_open := c.status = 'open';
        NEW.case_kind := c.kind;
        NEW.case_stage := c.stage;
        NEW.case_profile := c.profile_id;
        NEW.case_profile_version := c.profile_version;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION case_deadlines_take_case_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c cases%ROWTYPE;
BEGIN
    SELECT * INTO c FROM cases WHERE case_no = NEW.case_no;
    IF FOUND THEN
        NEW.case_open := c.status = 'open';
        NEW.case_kind := c.kind;
        NEW.case_stage := c.stage;
        NEW.case_profile := c.profile_id;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
ALTER TABLE case_deadlines DROP COLUMN case_profile_version;
