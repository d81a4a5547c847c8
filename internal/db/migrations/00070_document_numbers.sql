-- Document numbers (发文字号) drawn from a counter per series and year, and
-- a register of every number drawn: unique by constraint, never derived
-- from a case number. Numbers already issued are not renumbered: each
-- series' counter starts above the highest number of that series and year
-- found in case_documents, and from now on no two documents share a number
-- (case_documents_number_unique covers every document stored after this
-- migration; older rows, some of which share a number, stay as issued).

-- +goose Up
CREATE TABLE document_series (
    series    text    NOT NULL CHECK (series <> ''),
    year      integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    last_seq  integer NOT NULL CHECK (last_seq >= 0),
    PRIMARY KEY (series, year)
);

CREATE TABLE document_numbers (
    series     text        NOT NULL,
    year       integer     NOT NULL,
    seq        integer     NOT NULL CHECK (seq > 0),
    number     text        NOT NULL UNIQUE,
    -- The document the number was drawn for: the workflow's place of the
    -- document in its case, so that a retried activity gets the same one.
    case_ref   text        NOT NULL CHECK (case_ref <> ''),
    doc_seq    integer     NOT NULL CHECK (doc_seq > 0),
    kind       text        NOT NULL CHECK (kind <> ''),
    drawn_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series, year, seq),
    UNIQUE (case_ref, doc_seq),
    FOREIGN KEY (series, year) REFERENCES document_series
);

INSERT INTO document_series (series, year, last_seq)
SELECT m[1], m[2]::integer, max(m[3]::integer)
FROM (SELECT regexp_match(number, '^(.+)〔([0-9]{4})〕第?([0-9]+)号$') AS m FROM case_documents) issued
WHERE m IS NOT NULL
GROUP BY m[1], m[2];

-- +goose StatementBegin
DO $$
DECLARE issued bigint;
BEGIN
    SELECT coalesce(max(id), 0) INTO issued FROM case_documents;
    EXECUTE format('CREATE UNIQUE INDEX case_documents_number_unique ON case_documents (number) WHERE id > %s', issued);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX case_documents_number_unique;
DROP TABLE document_numbers;
DROP TABLE document_series;
