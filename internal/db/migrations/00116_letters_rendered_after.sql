-- A letter is numbered in the caseworker's action and rendered after it
-- (issue 20.2): its row is written when its number is drawn, without HTML,
-- PDF and hash ("being prepared"), and filled once when the PDF is made.
-- The table stays append-only in every other way: the only change a row
-- may ever see is that one filling of its content, the rest equal.

-- +goose Up
ALTER TABLE case_documents
    ALTER COLUMN html DROP NOT NULL,
    ALTER COLUMN pdf DROP NOT NULL,
    ALTER COLUMN sha256 DROP NOT NULL,
    ADD CONSTRAINT case_documents_content_whole
        CHECK ((html IS NULL) = (pdf IS NULL) AND (pdf IS NULL) = (sha256 IS NULL));

-- +goose StatementBegin
CREATE FUNCTION case_documents_fill_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.pdf IS NULL AND NEW.pdf IS NOT NULL
       AND NEW.id = OLD.id AND NEW.case_ref = OLD.case_ref AND NEW.kind = OLD.kind
       AND NEW.number = OLD.number AND NEW.title = OLD.title
       AND NEW.recipient_role = OLD.recipient_role AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'creditcase: % is append-only; rows are never updated or deleted (a letter being prepared only receives its content, once)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

DROP TRIGGER case_documents_append_only ON case_documents;
CREATE TRIGGER case_documents_append_only BEFORE UPDATE OR DELETE ON case_documents
    FOR EACH ROW EXECUTE FUNCTION case_documents_fill_once();

-- +goose Down
DROP TRIGGER case_documents_append_only ON case_documents;
CREATE TRIGGER case_documents_append_only BEFORE UPDATE OR DELETE ON case_documents
    FOR EACH ROW EXECUTE FUNCTION refuse_case_file_change();
DROP FUNCTION case_documents_fill_once();
ALTER TABLE case_documents DROP CONSTRAINT case_documents_content_whole;
