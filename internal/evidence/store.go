package evidence

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/db"
)

// Owner says which case a file belongs to and who uploaded it (an account
// or role reference, never a personal name or ID number).
type Owner struct {
	CaseRef    string
	UploadedBy string
}

// Meta describes a stored file; the content is fetched with Store.Get.
type Meta struct {
	ID          int64     `json:"id"`
	CaseRef     string    `json:"case_ref"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// Store keeps evidence in PostgreSQL (tables evidence_blobs and evidence,
// migration 00005): each distinct content once, linked to cases by name.
type Store struct {
	pool   *pgxpool.Pool
	limits Limits
}

// NewStore returns a store on pool applying lim (zero fields: defaults).
func NewStore(pool *pgxpool.Pool, lim Limits) *Store {
	return &Store{pool: pool, limits: lim.withDefaults()}
}

// Limits returns the limits the store applies.
func (s *Store) Limits() Limits { return s.limits }

const metaColumns = `e.id, e.case_ref, e.name, b.content_type, b.size, e.sha256, e.uploaded_by, e.created_at`

func scanMeta(row pgx.Row) (Meta, error) {
	var m Meta
	err := row.Scan(&m.ID, &m.CaseRef, &m.Name, &m.ContentType, &m.Size, &m.SHA256, &m.UploadedBy, &m.CreatedAt)
	return m, err
}

// Put checks data (Check) and files it with the case. It is idempotent:
// putting the same content to the same case again returns the row stored
// the first time (with the first name), so a retried upload or activity
// does no harm. The per-case limits (total size, number of files) are
// checked under a per-case lock, so concurrent uploads cannot overshoot.
func (s *Store) Put(ctx context.Context, owner Owner, name string, data []byte) (Meta, error) {
	if _, err := Check(name, data, s.limits); err != nil {
		return Meta{}, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Meta{}, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	m, err := s.PutTx(ctx, tx, owner, name, data)
	if err != nil {
		return Meta{}, err
	}
	return m, tx.Commit(ctx)
}

// PutTx is Put inside the caller's transaction: the file is on file exactly
// when the caller's change (a new case) commits, and not at all otherwise.
func (s *Store) PutTx(ctx context.Context, tx pgx.Tx, owner Owner, name string, data []byte) (Meta, error) {
	if strings.TrimSpace(owner.CaseRef) == "" {
		return Meta{}, &Error{Field: "case_ref", Code: CodeNoCase,
			Zh: "缺少案件编号", En: "the case reference is missing"}
	}
	f, err := Check(name, data, s.limits)
	if err != nil {
		return Meta{}, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('evidence:' || $1, 0))`, owner.CaseRef); err != nil {
		return Meta{}, err
	}
	m, err := scanMeta(tx.QueryRow(ctx, `SELECT `+metaColumns+`
		FROM evidence e JOIN evidence_blobs b USING (sha256)
		WHERE e.case_ref = $1 AND e.sha256 = $2`, owner.CaseRef, f.SHA256))
	if err == nil {
		return m, nil
	}
	if !db.IsNoRows(err) {
		return Meta{}, err
	}
	var total int64
	var count int
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(b.size), 0), count(*)
		FROM evidence e JOIN evidence_blobs b USING (sha256) WHERE e.case_ref = $1`, owner.CaseRef).Scan(&total, &count); err != nil {
		return Meta{}, err
	}
	if count+1 > s.limits.MaxCaseFiles {
		return Meta{}, &Error{Field: FieldFile, Code: CodeCaseFiles,
			Zh: fmt.Sprintf("本案已有 %d 份证据材料，达到上限 %d 份", count, s.limits.MaxCaseFiles),
			En: fmt.Sprintf("the case already holds %d files, the limit is %d", count, s.limits.MaxCaseFiles)}
	}
	if total+f.Size > s.limits.MaxCaseTotal {
		return Meta{}, &Error{Field: FieldFile, Code: CodeCaseTotal,
			Zh: fmt.Sprintf("本案证据材料总大小将达 %s，超过上限 %s", humanSize(total+f.Size), humanSize(s.limits.MaxCaseTotal)),
			En: fmt.Sprintf("the case's evidence would total %s, more than the limit of %s", humanSize(total+f.Size), humanSize(s.limits.MaxCaseTotal))}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO evidence_blobs (sha256, content_type, size, data)
		VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING`, f.SHA256, f.ContentType, f.Size, data); err != nil {
		return Meta{}, err
	}
	m = Meta{CaseRef: owner.CaseRef, Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256, UploadedBy: owner.UploadedBy}
	if err := tx.QueryRow(ctx, `INSERT INTO evidence (case_ref, sha256, name, uploaded_by)
		VALUES ($1, $2, $3, $4) RETURNING id, created_at`, owner.CaseRef, f.SHA256, f.Name, owner.UploadedBy).Scan(&m.ID, &m.CreatedAt); err != nil {
		return Meta{}, err
	}
	return m, nil
}

// Get returns a stored file and its content; an unknown id gives an error
// matching db.ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Meta, []byte, error) {
	var m Meta
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT `+metaColumns+`, b.data
		FROM evidence e JOIN evidence_blobs b USING (sha256) WHERE e.id = $1`, id).
		Scan(&m.ID, &m.CaseRef, &m.Name, &m.ContentType, &m.Size, &m.SHA256, &m.UploadedBy, &m.CreatedAt, &data)
	if db.IsNoRows(err) {
		return Meta{}, nil, fmt.Errorf("evidence %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return Meta{}, nil, err
	}
	return m, data, nil
}

// List returns the files of a case in upload order (an empty slice when
// there are none).
func (s *Store) List(ctx context.Context, caseRef string) ([]Meta, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+metaColumns+`
		FROM evidence e JOIN evidence_blobs b USING (sha256) WHERE e.case_ref = $1 ORDER BY e.id`, caseRef)
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
