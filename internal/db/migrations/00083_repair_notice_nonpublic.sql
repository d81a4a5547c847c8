-- A repair publicity notice about a record that is not 社会公开 (政府共享
-- or 授权查询) shows only what the publicity needs (issue 16): that the
-- subject applied for repair (a person's name and identity number
-- masked), the provider giving its opinion, the proposed outcome, the
-- period and how to object — never the record's title, decision number or
-- decision date, which are not public.

-- +goose Up
ALTER TABLE repair_publicity
    ALTER COLUMN decided_on DROP NOT NULL,
    ADD COLUMN record_public boolean NOT NULL DEFAULT true;
UPDATE repair_publicity p SET record_public = (r.disclosure = 'public') FROM records r WHERE r.id = p.record_id;
UPDATE repair_publicity SET record_title = '', decision_no = '', decided_on = NULL WHERE NOT record_public;

-- +goose Down
UPDATE repair_publicity p SET record_title = r.title, decision_no = r.decision_no, decided_on = r.decided_on
    FROM records r WHERE r.id = p.record_id AND NOT p.record_public;
ALTER TABLE repair_publicity
    DROP COLUMN record_public,
    ALTER COLUMN decided_on SET NOT NULL;
