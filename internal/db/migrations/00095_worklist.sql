-- The caseworker's worklist (issue 15): every open case, soonest deadline
-- first, with the party who must act, filtered by kind, stage, profile,
-- party, light and "assigned to me", keyset paged.
--
-- A case's place on the worklist is its earliest open deadline (pending, or
-- missed and not yet settled): the work_* columns of cases hold it. They
-- are set by a BEFORE trigger on every write of the case row from the case's
-- deadlines, and every change of a case's deadlines (a step, a lapse, a
-- recompute, a pause) ends with the workflow saving the case row, so they
-- follow the deadlines without a write of their own. A case without an open
-- deadline has work_due_at 'infinity' and sorts last.
--
-- case_assignments says which caseworker handles a case (经办人): the first
-- caseworker who takes a step on it, or the one a supervisor reassigned its
-- escalation to.

-- +goose Up
ALTER TABLE cases
    ADD COLUMN work_due_at timestamptz NOT NULL DEFAULT 'infinity',
    ADD COLUMN work_rule   text        NOT NULL DEFAULT '',
    ADD COLUMN work_seq    integer     NOT NULL DEFAULT 0,
    ADD COLUMN work_party  text        NOT NULL DEFAULT '';

-- +goose StatementBegin
CREATE FUNCTION cases_take_work_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    SELECT due_at, rule_id, seq, party INTO d FROM case_deadlines
    WHERE case_no = NEW.case_no AND state IN ('pending', 'missed')
    ORDER BY due_at, rule_id, seq LIMIT 1;
    IF FOUND THEN
        NEW.work_due_at := d.due_at;
        NEW.work_rule := d.rule_id;
        NEW.work_seq := d.seq;
        NEW.work_party := d.party;
    ELSE
        NEW.work_due_at := 'infinity';
        NEW.work_rule := '';
        NEW.work_seq := 0;
        NEW.work_party := '';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER cases_take_work_deadline BEFORE INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_take_work_deadline();

-- Fill the columns of the cases already open (the trigger computes them).
UPDATE cases SET updated_at = updated_at WHERE status = 'open';

-- One keyset index per filter, over open cases only.
CREATE INDEX cases_work ON cases (work_due_at, case_no) WHERE status = 'open';
CREATE INDEX cases_work_kind ON cases (kind, work_due_at, case_no) WHERE status = 'open';
CREATE INDEX cases_work_stage ON cases (stage, work_due_at, case_no) WHERE status = 'open';
CREATE INDEX cases_work_profile ON cases (profile_id, work_due_at, case_no) WHERE status = 'open';
CREATE INDEX cases_work_party ON cases ((work_party COLLATE "C"), work_due_at, case_no) WHERE status = 'open';

CREATE TABLE case_assignments (
    case_no      text        PRIMARY KEY REFERENCES cases,
    account_id   bigint      NOT NULL REFERENCES accounts,
    how          text        NOT NULL CHECK (how IN ('took', 'reassigned')),
    assigned_by  text        NOT NULL,
    assigned_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_assignments_account ON case_assignments (account_id, case_no);

-- +goose Down
DROP TABLE case_assignments;
DROP INDEX cases_work_party;
DROP INDEX cases_work_profile;
DROP INDEX cases_work_stage;
DROP INDEX cases_work_kind;
DROP INDEX cases_work;
DROP TRIGGER cases_take_work_deadline ON cases;
DROP FUNCTION cases_take_work_deadline();
ALTER TABLE cases DROP COLUMN work_party, DROP COLUMN work_seq, DROP COLUMN work_rule, DROP COLUMN work_due_at;
