-- The caseworker's "assigned to me" (issue 15) without looking at every
-- open case: the caseworker who handles a case (case_assignments) is kept
-- on the case row too (cases.assignee_id, by a trigger on
-- case_assignments), so that a caseworker's own cases are one range of an
-- index — their page and their counts read a few thousand index entries,
-- not every open case.

-- +goose Up
ALTER TABLE cases ADD COLUMN assignee_id bigint REFERENCES accounts;
UPDATE cases c SET assignee_id = a.account_id FROM case_assignments a WHERE a.case_no = c.case_no;
CREATE INDEX cases_work_assignee ON cases (assignee_id, work_due_at, case_no) INCLUDE (profile_id, profile_version)
    WHERE status = 'open' AND assignee_id IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION case_assignments_to_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE cases SET assignee_id = NULL WHERE case_no = OLD.case_no AND assignee_id IS NOT NULL;
    ELSE
        UPDATE cases SET assignee_id = NEW.account_id WHERE case_no = NEW.case_no AND assignee_id IS DISTINCT FROM NEW.account_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER case_assignments_to_case AFTER INSERT OR UPDATE OR DELETE ON case_assignments
    FOR EACH ROW EXECUTE FUNCTION case_assignments_to_case();

-- +goose Down
DROP TRIGGER case_assignments_to_case ON case_assignments;
DROP FUNCTION case_assignments_to_case();
DROP INDEX cases_work_assignee;
ALTER TABLE cases DROP COLUMN assignee_id;
