-- The provider performance report (issue 15, the supervisors' page
-- /reports/providers and GET /api/v1/reports/provider-performance) without
-- reading every settled provider deadline of the period per request. With a
-- million cases a month holds some 350 000 of them: counting them took
-- 270–700 ms a report. What is kept is how many provider deadlines were met
-- on time, met late and missed per (due time, provider party, rule) — a few
-- thousand rows a month — and the report sums those of its period.
--
-- A deadline counts as the report has always counted it (supervision.Report):
-- party provider:<id>; on time = met and settled no later than due_at (no
-- settled_at: on time); late = met and settled after due_at; missed =
-- missed; any other state (pending, superseded, cancelled) not at all.
--
-- Kept by an AFTER trigger on case_deadlines in the transaction that writes
-- the deadline, so it never disagrees with the rows; a write that changes
-- nothing counted (most writes) does not touch it. A row whose counts all
-- drop to zero is deleted.

-- +goose Up
CREATE TABLE provider_report_tally (
    due_at  timestamptz NOT NULL,
    party   text        NOT NULL,
    rule_id text        NOT NULL,
    on_time bigint      NOT NULL CHECK (on_time >= 0),
    late    bigint      NOT NULL CHECK (late >= 0),
    missed  bigint      NOT NULL CHECK (missed >= 0),
    PRIMARY KEY (due_at, party, rule_id)
);

-- +goose StatementBegin
CREATE FUNCTION provider_report_class(party text, state text, settled_at timestamptz, due_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN party NOT LIKE 'provider:%' THEN NULL
        WHEN state = 'missed' THEN 'missed'
        WHEN state = 'met' AND coalesce(settled_at, due_at) <= due_at THEN 'on_time'
        WHEN state = 'met' THEN 'late'
    END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION provider_report_tally_add(due timestamptz, pty text, rule text, cls text, d integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    o bigint := CASE WHEN cls = 'on_time' THEN d ELSE 0 END;
    l bigint := CASE WHEN cls = 'late' THEN d ELSE 0 END;
    m bigint := CASE WHEN cls = 'missed' THEN d ELSE 0 END;
    left_n bigint;
BEGIN
    IF d > 0 THEN
        INSERT INTO provider_report_tally AS t VALUES (due, pty, rule, o, l, m)
        ON CONFLICT (due_at, party, rule_id) DO UPDATE SET on_time = t.on_time + o, late = t.late + l, missed = t.missed + m;
        RETURN;
    END IF;
    UPDATE provider_report_tally
    SET on_time = greatest(on_time + o, 0), late = greatest(late + l, 0), missed = greatest(missed + m, 0)
    WHERE due_at = due AND party = pty AND rule_id = rule
    RETURNING on_time + late + missed INTO left_n;
    IF left_n = 0 THEN
        DELETE FROM provider_report_tally
        WHERE due_at = due AND party = pty AND rule_id = rule AND on_time = 0 AND late = 0 AND missed = 0;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION case_deadlines_provider_report_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was text;
    now_is text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        was := provider_report_class(OLD.party, OLD.state, OLD.settled_at, OLD.due_at);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        now_is := provider_report_class(NEW.party, NEW.state, NEW.settled_at, NEW.due_at);
    END IF;
    IF was IS NULL AND now_is IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND was IS NOT DISTINCT FROM now_is
        AND OLD.due_at = NEW.due_at AND OLD.party = NEW.party AND OLD.rule_id = NEW.rule_id THEN
        RETURN NULL;
    END IF;
    IF was IS NOT NULL THEN
        PERFORM provider_report_tally_add(OLD.due_at, OLD.party, OLD.rule_id, was, -1);
    END IF;
    IF now_is IS NOT NULL THEN
        PERFORM provider_report_tally_add(NEW.due_at, NEW.party, NEW.rule_id, now_is, 1);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER case_deadlines_provider_report_tally AFTER INSERT OR UPDATE OR DELETE ON case_deadlines
    FOR EACH ROW EXECUTE FUNCTION case_deadlines_provider_report_tally();

-- The rows already there.
INSERT INTO provider_report_tally
SELECT due_at, party, rule_id,
    count(*) FILTER (WHERE provider_report_class(party, state, settled_at, due_at) = 'on_time'),
    count(*) FILTER (WHERE provider_report_class(party, state, settled_at, due_at) = 'late'),
    count(*) FILTER (WHERE provider_report_class(party, state, settled_at, due_at) = 'missed')
FROM case_deadlines
WHERE state IN ('met', 'missed') AND party LIKE 'provider:%'
GROUP BY due_at, party, rule_id;

-- +goose Down
DROP TRIGGER case_deadlines_provider_report_tally ON case_deadlines;
DROP FUNCTION case_deadlines_provider_report_tally();
DROP FUNCTION provider_report_tally_add(timestamptz, text, text, text, integer);
DROP FUNCTION provider_report_class(text, text, timestamptz, timestamptz);
DROP TABLE provider_report_tally;
