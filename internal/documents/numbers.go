package documents

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// NumberRequest asks for the number of one document: the series (e.g.
// 通信异受字) and year it is numbered in, and the document it is for (its
// case and its place in the case), so that asking again returns the same
// number.
type NumberRequest struct {
	Series  string
	Year    int
	CaseRef string
	DocSeq  int
	Kind    Kind
}

// DrawNumber returns the document's number (发文字号), e.g.
// 通信异受字〔2026〕第0007号: the next of its series and year from a
// counter in PostgreSQL (migration 00070), drawn once per document. The
// counter and the register of drawn numbers change in one transaction, so
// a number is never drawn twice and never skipped; the register's unique
// constraints make two documents sharing a number impossible.
func DrawNumber(ctx context.Context, pool *pgxpool.Pool, r NumberRequest) (string, error) {
	switch {
	case r.Series == "" || r.CaseRef == "" || r.DocSeq <= 0 || !r.Kind.Valid():
		return "", fmt.Errorf("documents: DrawNumber needs a series, a case, a document place and a kind: %+v", r)
	case r.Year < 2000 || r.Year > 9999:
		return "", fmt.Errorf("documents: DrawNumber: year %d", r.Year)
	}
	for attempt := 0; ; attempt++ {
		n, err := drawNumber(ctx, pool, r)
		var pe *pgconn.PgError
		// Two attempts of the same activity at once: the loser finds the
		// winner's number on the next round.
		if errors.As(err, &pe) && pe.Code == "23505" && attempt < 3 {
			continue
		}
		return n, err
	}
}

func drawNumber(ctx context.Context, pool *pgxpool.Pool, r NumberRequest) (string, error) {
	var number string
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT number FROM document_numbers WHERE case_ref = $1 AND doc_seq = $2`, r.CaseRef, r.DocSeq).Scan(&number)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var seq int
		if err := tx.QueryRow(ctx, `INSERT INTO document_series (series, year, last_seq) VALUES ($1, $2, 1)
			ON CONFLICT (series, year) DO UPDATE SET last_seq = document_series.last_seq + 1
			RETURNING last_seq`, r.Series, r.Year).Scan(&seq); err != nil {
			return err
		}
		number = FormatNumber(r.Series, r.Year, seq)
		_, err = tx.Exec(ctx, `INSERT INTO document_numbers (series, year, seq, number, case_ref, doc_seq, kind)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.Series, r.Year, seq, number, r.CaseRef, r.DocSeq, string(r.Kind))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("documents: number for %s document %d: %w", r.CaseRef, r.DocSeq, err)
	}
	return number, nil
}
