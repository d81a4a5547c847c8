-- Delivery of results downstream (issue 19.1; Anshan art. 13, Nantong art.
-- 35, Nanning art. 21): every event in record_outbox reaches every
-- subscriber configured for the deployment, in order, once.
--
-- record_outbox      the events (record corrected / repaired, listing
--                    decided / removed, objection closed), written in the
--                    transaction of the change they announce. stream orders
--                    them: "record:<id>" (events about one record, in the
--                    order of its versions) or "listing:<proposal-no>".
--                    txid is the writing transaction, so that the pull feed
--                    (keyset on txid, id) never skips a row committed late.
-- event_subscribers  the deployment's subscribers (synced from the
--                    SUBSCRIBERS_FILE by the worker at start)
-- event_deliveries   one row per event and subscriber: pending (with the
--                    next attempt's time), delivered or dead (the retry
--                    limit was reached; a supervisor re-sends it)
-- event_delivery_attempts  every attempt, append-only
--
-- A trigger on record_outbox fans each new event out to the subscribers
-- that want it and wakes the relay (NOTIFY creditcase_outbox); a
-- correction (a new row in record_versions beyond the first) writes its
-- event by trigger too, so no path that writes a version can forget it.

-- +goose Up
ALTER TABLE record_outbox
    ALTER COLUMN record_id DROP NOT NULL,
    ADD COLUMN stream          text    NOT NULL DEFAULT '',
    ADD COLUMN record_version  integer,
    ADD COLUMN case_no         text    NOT NULL DEFAULT '',
    ADD COLUMN provider_id     bigint  REFERENCES providers,
    ADD COLUMN txid            xid8    NOT NULL DEFAULT pg_current_xact_id();
UPDATE record_outbox o SET stream = 'record:' || o.record_id, record_version = r.version, provider_id = r.provider_id,
    case_no = coalesce(o.payload->>'case_no', '')
FROM records r WHERE r.id = o.record_id;
ALTER TABLE record_outbox ADD CONSTRAINT record_outbox_stream CHECK (stream <> '');
-- The pull feed: keyset (txid, id).
CREATE INDEX record_outbox_feed ON record_outbox (txid, id);
CREATE INDEX record_outbox_feed_provider ON record_outbox (provider_id, txid, id);
-- A case shows the deliveries of its events.
CREATE INDEX record_outbox_case ON record_outbox (case_no) WHERE case_no <> '';

CREATE TABLE event_subscribers (
    id            text        PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name          text        NOT NULL CHECK (name <> ''),
    kind          text        NOT NULL CHECK (kind IN ('webhook', 'email')),
    endpoint      text        NOT NULL CHECK (endpoint <> ''),
    events        text[]      NOT NULL DEFAULT '{}',  -- empty: every event
    provider_ids  bigint[]    NOT NULL DEFAULT '{}',  -- empty: every provider
    max_attempts  integer     NOT NULL CHECK (max_attempts >= 1),
    active        boolean     NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event_deliveries (
    event_id         bigint      NOT NULL REFERENCES record_outbox,
    subscriber_id    text        NOT NULL REFERENCES event_subscribers,
    stream           text        NOT NULL,
    state            text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    last_status      integer,
    last_error       text        NOT NULL DEFAULT '',
    delivered_at     timestamptz,
    dead_at          timestamptz,
    resent_by        text        NOT NULL DEFAULT '',
    resent_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscriber_id, event_id)
);
-- The relay's work: due deliveries, and the head of each stream.
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at, event_id) WHERE state = 'pending';
CREATE INDEX event_deliveries_stream ON event_deliveries (subscriber_id, stream, event_id) WHERE state <> 'delivered';
-- The supervisors' dead letters, newest first.
CREATE INDEX event_deliveries_dead ON event_deliveries (dead_at DESC, event_id) WHERE state = 'dead';
CREATE INDEX event_deliveries_event ON event_deliveries (event_id);

CREATE TABLE event_delivery_attempts (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       bigint      NOT NULL,
    subscriber_id  text        NOT NULL,
    attempt        integer     NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    status         integer,
    error          text        NOT NULL DEFAULT '',
    duration_ms    integer     NOT NULL DEFAULT 0,
    FOREIGN KEY (subscriber_id, event_id) REFERENCES event_deliveries
);
CREATE INDEX event_delivery_attempts_delivery ON event_delivery_attempts (subscriber_id, event_id, id);
CREATE TRIGGER event_delivery_attempts_append_only BEFORE UPDATE OR DELETE ON event_delivery_attempts
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- +goose StatementBegin
CREATE FUNCTION record_outbox_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_deliveries (event_id, subscriber_id, stream)
    SELECT NEW.id, s.id, NEW.stream FROM event_subscribers s
    WHERE s.active
      AND (cardinality(s.events) = 0 OR NEW.event = ANY (s.events))
      AND (cardinality(s.provider_ids) = 0 OR NEW.provider_id = ANY (s.provider_ids))
    ON CONFLICT DO NOTHING;
    PERFORM pg_notify('creditcase_outbox', NEW.id::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER record_outbox_fan_out AFTER INSERT ON record_outbox
    FOR EACH ROW EXECUTE FUNCTION record_outbox_fan_out();

-- A version beyond the first is a correction (更正): whoever wrote it (the
-- objection workflow, a caseworker's correction through the API), its
-- receivers must learn the corrected record (Nanning art. 21).
-- +goose StatementBegin
CREATE FUNCTION record_versions_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r records%ROWTYPE;
    s subjects%ROWTYPE;
    p providers%ROWTYPE;
    -- The case behind the correction, when a case wrote it (set_config
    -- 'creditcase.case_no', local to the transaction).
    c text := coalesce(current_setting('creditcase.case_no', true), '');
BEGIN
    IF NEW.version <= 1 THEN
        RETURN NULL;
    END IF;
    SELECT * INTO r FROM records WHERE id = NEW.record_id;
    SELECT * INTO s FROM subjects WHERE id = r.subject_id;
    SELECT * INTO p FROM providers WHERE id = r.provider_id;
    INSERT INTO record_outbox (record_id, event, dedup_key, payload, stream, record_version, case_no, provider_id)
    VALUES (NEW.record_id, 'record.corrected', 'correction/' || NEW.record_id || '/v' || NEW.version,
        jsonb_build_object(
            'record_id', r.id, 'version', NEW.version, 'reason', NEW.reason,
            'case_no', c,
            'record', jsonb_build_object(
                'id', r.id, 'version', NEW.version, 'status', NEW.snapshot->>'status',
                'category', NEW.snapshot->>'category', 'severity', NEW.snapshot->>'severity',
                'dishonesty_category', NEW.snapshot->>'dishonesty_category',
                'disclosure', NEW.snapshot->>'disclosure', 'title', NEW.snapshot->>'title',
                'content', NEW.snapshot->>'content', 'decision_no', NEW.snapshot->>'decision_no',
                'decided_on', NEW.snapshot->>'decided_on', 'disclosure_end', NEW.snapshot->>'disclosure_end',
                'provider', jsonb_build_object('code', p.code, 'name', p.name),
                'subject', jsonb_build_object('kind', s.kind, 'ident', s.ident))),
        'record:' || NEW.record_id, NEW.version, c, r.provider_id)
    ON CONFLICT (dedup_key) DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER record_versions_outbox AFTER INSERT ON record_versions
    FOR EACH ROW EXECUTE FUNCTION record_versions_outbox();

-- +goose Down
DROP TRIGGER record_versions_outbox ON record_versions;
DROP FUNCTION record_versions_outbox();
DROP TRIGGER record_outbox_fan_out ON record_outbox;
DROP FUNCTION record_outbox_fan_out();
DROP TABLE event_delivery_attempts;
DROP TABLE event_deliveries;
DROP TABLE event_subscribers;
DROP INDEX record_outbox_case;
DROP INDEX record_outbox_feed_provider;
DROP INDEX record_outbox_feed;
ALTER TABLE record_outbox DROP CONSTRAINT record_outbox_stream;
DELETE FROM record_outbox WHERE record_id IS NULL;
ALTER TABLE record_outbox
    DROP COLUMN txid, DROP COLUMN provider_id, DROP COLUMN case_no, DROP COLUMN record_version, DROP COLUMN stream,
    ALTER COLUMN record_id SET NOT NULL;
