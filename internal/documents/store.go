package documents

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/db"
)

// ErrNumberTaken is returned when a different document is saved under a
// (case, kind, number) already issued: document numbers are never reused.
var ErrNumberTaken = errors.New("documents: a different document was already issued under this number")

// Meta describes a stored document without its content.
type Meta struct {
	ID        int64  `json:"id"`
	CaseRef   string `json:"case_ref"`
	Kind      Kind   `json:"kind"`
	Number    string `json:"number"`
	Title     string `json:"title"`
	Recipient Role   `json:"recipient"`
	// SHA256 is empty while the letter is being prepared.
	SHA256    string    `json:"sha256"`
	CreatedAt time.Time `json:"created_at"`
	// Status is StatusReady when the PDF and HTML exist, StatusPreparing
	// between the action that numbered the letter and its rendering.
	Status string `json:"status"`
}

// A stored document's status.
const (
	StatusReady     = "ready"
	StatusPreparing = "preparing"
)

// Ready reports whether the document's PDF and HTML exist.
func (m Meta) Ready() bool { return m.Status == StatusReady }

// Stored is a stored document with its HTML and PDF.
type Stored struct {
	Meta
	HTML []byte `json:"html"`
	PDF  []byte `json:"pdf"`
}

// Store keeps issued documents in PostgreSQL (table case_documents,
// migration 00005).
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const metaColumns = `id, case_ref, kind, number, title, recipient_role, coalesce(sha256, '') AS sha256, created_at`

func scanMeta(row pgx.Row, extra ...any) (Meta, error) {
	var m Meta
	err := row.Scan(append([]any{&m.ID, &m.CaseRef, &m.Kind, &m.Number, &m.Title, &m.Recipient, &m.SHA256, &m.CreatedAt}, extra...)...)
	m.Status = StatusReady
	if m.SHA256 == "" {
		m.Status = StatusPreparing
	}
	return m, err
}

// SaveDocument stores r with its case. It is idempotent: saving the same
// document again (same case, kind and number, same PDF hash) returns the
// row stored the first time, so a retried activity does no harm; saving a
// different document under the same number fails with ErrNumberTaken.
func (s *Store) SaveDocument(ctx context.Context, r Rendered) (Meta, error) {
	switch {
	case r.CaseRef == "" || r.Number == "" || r.Title == "" || len(r.PDF) == 0 || len(r.HTML) == 0 || r.SHA256 == "":
		return Meta{}, errors.New("documents: SaveDocument needs a rendered document (use Render)")
	case !r.Kind.Valid():
		return Meta{}, fmt.Errorf("%w %q", ErrUnknownKind, r.Kind)
	}
	// A concurrent first save of the same document can leave neither
	// branch a row to see under this statement's snapshot: ask again.
	for attempt := 0; ; attempt++ {
		m, err := s.save(ctx, r)
		if db.IsNoRows(err) && attempt < 3 {
			continue
		}
		return m, err
	}
}

func (s *Store) save(ctx context.Context, r Rendered) (Meta, error) {
	row := s.pool.QueryRow(ctx, `WITH ins AS (
		INSERT INTO case_documents (case_ref, kind, number, title, recipient_role, html, pdf, sha256)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (case_ref, kind, number) DO UPDATE SET html = EXCLUDED.html, pdf = EXCLUDED.pdf, sha256 = EXCLUDED.sha256
			WHERE case_documents.pdf IS NULL
		RETURNING `+metaColumns+`)
	SELECT `+metaColumns+` FROM ins
	UNION ALL
	SELECT `+metaColumns+` FROM case_documents WHERE case_ref = $1 AND kind = $2 AND number = $3
	LIMIT 1`, r.CaseRef, string(r.Kind), r.Number, r.Title, string(r.Recipient), r.HTML, r.PDF, r.SHA256)
	m, err := scanMeta(row)
	if err != nil {
		return Meta{}, err
	}
	if m.SHA256 != r.SHA256 {
		return Meta{}, fmt.Errorf("%w: case %s, %s %s", ErrNumberTaken, r.CaseRef, r.Kind, r.Number)
	}
	return m, nil
}

// GetDocument returns a stored document; an unknown id gives an error
// matching db.ErrNotFound.
func (s *Store) GetDocument(ctx context.Context, id int64) (Stored, error) {
	var d Stored
	m, err := scanMeta(s.pool.QueryRow(ctx, `SELECT `+metaColumns+`, html, pdf FROM case_documents WHERE id = $1`, id), &d.HTML, &d.PDF)
	if db.IsNoRows(err) {
		return Stored{}, fmt.Errorf("document %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return Stored{}, err
	}
	d.Meta = m
	return d, nil
}

// ListDocuments returns the documents of a case in the order issued,
// without their content (an empty slice when there are none).
func (s *Store) ListDocuments(ctx context.Context, caseRef string) ([]Meta, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+metaColumns+` FROM case_documents WHERE case_ref = $1 ORDER BY id`, caseRef)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Meta, error) { return scanMeta(r) })
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Meta{}
	}
	return out, nil
}

// Reserve writes the row of a letter just numbered, before it is rendered
// (issue 20.2): listed as being prepared, its download refused until Fill
// (or SaveDocument) gives it its content. Reserving again is harmless.
func Reserve(ctx context.Context, pool *pgxpool.Pool, caseRef string, kind Kind, number string) error {
	if caseRef == "" || number == "" || !kind.Valid() {
		return fmt.Errorf("documents: Reserve needs a case, a valid kind and a number: %q %q %q", caseRef, kind, number)
	}
	_, err := pool.Exec(ctx, `INSERT INTO case_documents (case_ref, kind, number, title, recipient_role)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_ref, kind, number) DO NOTHING`,
		caseRef, string(kind), number, kind.Title(), string(kind.Recipient()))
	if err != nil {
		return fmt.Errorf("documents: reserving %s %s of %s: %w", kind, number, caseRef, err)
	}
	return nil
}

// IsRendered reports whether the document (case, kind, number) has its
// content stored.
func IsRendered(ctx context.Context, pool *pgxpool.Pool, caseRef string, kind Kind, number string) (bool, error) {
	var ok bool
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_documents
		WHERE case_ref = $1 AND kind = $2 AND number = $3 AND pdf IS NOT NULL)`, caseRef, string(kind), number).Scan(&ok)
	return ok, err
}
