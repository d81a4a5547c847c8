-- The board filters by case kind, stage and locality (profile): those
-- columns of the case are copied onto its deadlines (like case_open in
-- 00022, by trigger), so that every board filter is a range scan of one
-- partial index over the deadlines of open cases, with no join and no
-- per-row lookup of the case.

-- +goose Up
ALTER TABLE case_deadlines
    ADD COLUMN case_kind    text NOT NULL DEFAULT '',
    ADD COLUMN case_stage   text NOT NULL DEFAULT '',
    ADD COLUMN case_profile text NOT NULL DEFAULT '';
UPDATE case_deadlines d SET case_kind = c.kind, case_stage = c.stage, case_profile = c.profile_id
FROM cases c WHERE c.case_no = d.case_no;

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

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cases_status_to_deadlines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_deadlines SET case_open = (NEW.status = 'open'), case_stage = NEW.stage
    WHERE case_no = NEW.case_no AND (case_open <> (NEW.status = 'open') OR case_stage <> NEW.stage);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP TRIGGER cases_status_to_deadlines ON cases;
CREATE TRIGGER cases_status_to_deadlines AFTER UPDATE OF status, stage ON cases
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.stage IS DISTINCT FROM NEW.stage)
    EXECUTE FUNCTION cases_status_to_deadlines();

CREATE INDEX case_deadlines_board_kind ON case_deadlines (case_kind, due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed') AND case_open;
CREATE INDEX case_deadlines_board_stage ON case_deadlines (case_stage, due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed') AND case_open;
CREATE INDEX case_deadlines_board_profile ON case_deadlines (case_profile, due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed') AND case_open;

-- +goose Down
DROP INDEX case_deadlines_board_profile;
DROP INDEX case_deadlines_board_stage;
DROP INDEX case_deadlines_board_kind;
DROP TRIGGER cases_status_to_deadlines ON cases;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cases_status_to_deadlines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_deadlines SET case_open = (NEW.status = 'open')
    WHERE case_no = NEW.case_no AND case_open <> (NEW.status = 'open');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER cases_status_to_deadlines AFTER UPDATE OF status ON cases
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION cases_status_to_deadlines();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION case_deadlines_take_case_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.case_open := coalesce((SELECT status = 'open' FROM cases WHERE case_no = NEW.case_no), true);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
ALTER TABLE case_deadlines DROP COLUMN case_profile, DROP COLUMN case_stage, DROP COLUMN case_kind;
