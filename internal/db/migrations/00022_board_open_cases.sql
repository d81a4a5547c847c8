-- Board indexes that leave out closed cases.
--
-- A missed deadline stays missed after its case closes (it is history), so
-- the partial indexes of 00020 (state pending or missed) kept growing with
-- every closed case and the board, which shows open cases only, had to
-- skip those rows. case_deadlines.case_open follows cases.status (trigger
-- below: set on insert from the case, changed when the case's status
-- changes), and the board indexes hold only deadlines of open cases.
--
-- The provider report index gains INCLUDE (state, settled_at) so that the
-- report can be answered from the index alone.

-- +goose Up
ALTER TABLE case_deadlines ADD COLUMN case_open boolean NOT NULL DEFAULT true;
UPDATE case_deadlines d SET case_open = false FROM cases c WHERE c.case_no = d.case_no AND c.status <> 'open';

-- +goose StatementBegin
CREATE FUNCTION case_deadlines_take_case_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.case_open := coalesce((SELECT status = 'open' FROM cases WHERE case_no = NEW.case_no), true);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER case_deadlines_take_case_status BEFORE INSERT ON case_deadlines
    FOR EACH ROW EXECUTE FUNCTION case_deadlines_take_case_status();

-- +goose StatementBegin
CREATE FUNCTION cases_status_to_deadlines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_deadlines SET case_open = (NEW.status = 'open')
    WHERE case_no = NEW.case_no AND case_open <> (NEW.status = 'open');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER cases_status_to_deadlines AFTER UPDATE OF status ON cases
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION cases_status_to_deadlines();

DROP INDEX case_deadlines_open_keyset;
DROP INDEX case_deadlines_open_party;
CREATE INDEX case_deadlines_board ON case_deadlines (due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed') AND case_open;
CREATE INDEX case_deadlines_board_party ON case_deadlines (party, due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed') AND case_open;

DROP INDEX case_deadlines_provider_settled;
CREATE INDEX case_deadlines_provider_settled ON case_deadlines (due_at, party, rule_id) INCLUDE (state, settled_at)
    WHERE state IN ('met', 'missed') AND party LIKE 'provider:%';

-- +goose Down
DROP INDEX case_deadlines_provider_settled;
CREATE INDEX case_deadlines_provider_settled ON case_deadlines (due_at, party, rule_id)
    WHERE state IN ('met', 'missed') AND party LIKE 'provider:%';
DROP INDEX case_deadlines_board_party;
DROP INDEX case_deadlines_board;
CREATE INDEX case_deadlines_open_party ON case_deadlines (party, due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed');
CREATE INDEX case_deadlines_open_keyset ON case_deadlines (due_at, case_no, rule_id, seq)
    WHERE state IN ('pending', 'missed');
DROP TRIGGER cases_status_to_deadlines ON cases;
DROP FUNCTION cases_status_to_deadlines();
DROP TRIGGER case_deadlines_take_case_status ON case_deadlines;
DROP FUNCTION case_deadlines_take_case_status();
ALTER TABLE case_deadlines DROP COLUMN case_open;
