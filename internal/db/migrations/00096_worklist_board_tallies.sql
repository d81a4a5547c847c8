-- The counts at the top of the worklist and of the deadline board (issue
-- 15) without counting every open case per request. With a million cases
-- some 300 000 are open: counting them by light took longer than the whole
-- page may (50 ms). A light depends on the time of the request (red: due
-- now or before; yellow: due before the profile's warning edge), so no
-- count per light can be kept; what is kept is how many open cases (open
-- deadlines, for the board) there are per due time and per everything the
-- filters look at — a few thousand rows — and the counts sum those rows by
-- light at the time of the request, exactly as the rows are counted.
--
-- worklist_tally  open cases per (kind, stage, profile and version, party
--                 to act, work_due_at — the case's place on the worklist,
--                 'infinity' without an open deadline)
-- board_tally     open deadlines (pending or missed) of open cases per
--                 (case kind, stage, profile and version, party, due_at)
--
-- Both are kept by AFTER triggers in the transaction that writes the case
-- or the deadline, so they never disagree with the rows. A write that
-- changes nothing counted (most saves of a case row) does not touch them.
-- A row whose count drops to zero is deleted.

-- +goose Up
CREATE TABLE worklist_tally (
    kind            text        NOT NULL,
    stage           text        NOT NULL,
    profile_id      text        NOT NULL,
    profile_version text        NOT NULL,
    work_party      text        NOT NULL,
    work_due_at     timestamptz NOT NULL,
    n               bigint      NOT NULL CHECK (n >= 0),
    PRIMARY KEY (kind, stage, profile_id, profile_version, work_party, work_due_at)
);

CREATE TABLE board_tally (
    case_kind            text        NOT NULL,
    case_stage           text        NOT NULL,
    case_profile         text        NOT NULL,
    case_profile_version text        NOT NULL,
    party                text        NOT NULL,
    due_at               timestamptz NOT NULL,
    n                    bigint      NOT NULL CHECK (n >= 0),
    PRIMARY KEY (case_kind, case_stage, case_profile, case_profile_version, party, due_at)
);

-- +goose StatementBegin
CREATE FUNCTION worklist_tally_add(k text, st text, p text, v text, party text, due timestamptz, d integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    left_n bigint;
BEGIN
    IF d > 0 THEN
        INSERT INTO worklist_tally AS t VALUES (k, st, p, v, party, due, d)
        ON CONFLICT (kind, stage, profile_id, profile_version, work_party, work_due_at) DO UPDATE SET n = t.n + d;
        RETURN;
    END IF;
    UPDATE worklist_tally SET n = greatest(n + d, 0)
    WHERE kind = k AND stage = st AND profile_id = p AND profile_version = v AND work_party = party AND work_due_at = due
    RETURNING n INTO left_n;
    IF left_n = 0 THEN
        DELETE FROM worklist_tally
        WHERE kind = k AND stage = st AND profile_id = p AND profile_version = v AND work_party = party AND work_due_at = due AND n = 0;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION cases_worklist_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'open' AND NEW.status = 'open'
        AND OLD.kind = NEW.kind AND OLD.stage = NEW.stage AND OLD.profile_id = NEW.profile_id
        AND OLD.profile_version = NEW.profile_version AND OLD.work_party = NEW.work_party AND OLD.work_due_at = NEW.work_due_at THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
        PERFORM worklist_tally_add(OLD.kind, OLD.stage, OLD.profile_id, OLD.profile_version, OLD.work_party, OLD.work_due_at, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'open' THEN
        PERFORM worklist_tally_add(NEW.kind, NEW.stage, NEW.profile_id, NEW.profile_version, NEW.work_party, NEW.work_due_at, 1);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER cases_worklist_tally AFTER INSERT OR UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_worklist_tally();

-- +goose StatementBegin
CREATE FUNCTION board_tally_add(k text, st text, p text, v text, pty text, due timestamptz, d integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    left_n bigint;
BEGIN
    IF d > 0 THEN
        INSERT INTO board_tally AS t VALUES (k, st, p, v, pty, due, d)
        ON CONFLICT (case_kind, case_stage, case_profile, case_profile_version, party, due_at) DO UPDATE SET n = t.n + d;
        RETURN;
    END IF;
    UPDATE board_tally SET n = greatest(n + d, 0)
    WHERE case_kind = k AND case_stage = st AND case_profile = p AND case_profile_version = v AND party = pty AND due_at = due
    RETURNING n INTO left_n;
    IF left_n = 0 THEN
        DELETE FROM board_tally
        WHERE case_kind = k AND case_stage = st AND case_profile = p AND case_profile_version = v AND party = pty AND due_at = due AND n = 0;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION case_deadlines_board_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP IN ('UPDATE', 'DELETE') AND OLD.state IN ('pending', 'missed') AND OLD.case_open;
    now_is boolean := TG_OP IN ('UPDATE', 'INSERT') AND NEW.state IN ('pending', 'missed') AND NEW.case_open;
BEGIN
    IF TG_OP = 'UPDATE' AND was AND now_is
        AND OLD.case_kind = NEW.case_kind AND OLD.case_stage = NEW.case_stage AND OLD.case_profile = NEW.case_profile
        AND OLD.case_profile_version = NEW.case_profile_version AND OLD.party = NEW.party AND OLD.due_at = NEW.due_at THEN
        RETURN NULL;
    END IF;
    IF was THEN
        PERFORM board_tally_add(OLD.case_kind, OLD.case_stage, OLD.case_profile, OLD.case_profile_version, OLD.party, OLD.due_at, -1);
    END IF;
    IF now_is THEN
        PERFORM board_tally_add(NEW.case_kind, NEW.case_stage, NEW.case_profile, NEW.case_profile_version, NEW.party, NEW.due_at, 1);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER case_deadlines_board_tally AFTER INSERT OR UPDATE OR DELETE ON case_deadlines
    FOR EACH ROW EXECUTE FUNCTION case_deadlines_board_tally();

-- The rows already there.
INSERT INTO worklist_tally
SELECT kind, stage, profile_id, profile_version, work_party, work_due_at, count(*)
FROM cases WHERE status = 'open'
GROUP BY kind, stage, profile_id, profile_version, work_party, work_due_at;

INSERT INTO board_tally
SELECT case_kind, case_stage, case_profile, case_profile_version, party, due_at, count(*)
FROM case_deadlines WHERE state IN ('pending', 'missed') AND case_open
GROUP BY case_kind, case_stage, case_profile, case_profile_version, party, due_at;

-- +goose Down
DROP TRIGGER case_deadlines_board_tally ON case_deadlines;
DROP FUNCTION case_deadlines_board_tally();
DROP FUNCTION board_tally_add(text, text, text, text, text, timestamptz, integer);
DROP TRIGGER cases_worklist_tally ON cases;
DROP FUNCTION cases_worklist_tally();
DROP FUNCTION worklist_tally_add(text, text, text, text, text, timestamptz, integer);
DROP TABLE board_tally;
DROP TABLE worklist_tally;
