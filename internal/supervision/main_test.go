package supervision_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

// One private PostgreSQL cluster, migrated, serves every test; each test
// makes its own cases (unique case numbers) so tests do not see each other's
// rows except where they filter on them.
var testPool *pgxpool.Pool

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "supervision tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("/tmp", "creditcase-supervision-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return 0, err
	}
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		return 0, err
	}
	defer pg.Stop()
	if err := pgcluster.CreateDatabase(ctx, pg.URL("postgres"), "supervisiontest"); err != nil {
		return 0, err
	}
	testPool, err = db.Open(ctx, pg.URL("supervisiontest"))
	if err != nil {
		return 0, err
	}
	defer testPool.Close()
	mig, err := db.NewMigrator(testPool)
	if err != nil {
		return 0, err
	}
	if _, err := mig.Up(ctx); err != nil {
		return 0, err
	}
	_ = mig.Close()
	return m.Run(), nil
}

var uniq atomic.Int64

// fixture makes rows directly in the projection tables.
type fixture struct {
	t   *testing.T
	ctx context.Context
}

func newFixture(t *testing.T) *fixture { return &fixture{t: t, ctx: context.Background()} }

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := testPool.Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

func (f *fixture) id(sql string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := testPool.QueryRow(f.ctx, sql, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (f *fixture) provider(name string) int64 {
	n := uniq.Add(1)
	return f.id(`INSERT INTO providers (code, name) VALUES ($1, $2) RETURNING id`, fmt.Sprintf("prov-%d", n), name)
}

// subject makes an organisation subject (the code's check character is not
// verified by the database).
func (f *fixture) subject() int64 {
	n := uniq.Add(1)
	return f.id(`INSERT INTO subjects (kind, ident, name, contact_email) VALUES ('organisation', $1, $2, 'x@example.org') RETURNING id`,
		fmt.Sprintf("91320600%010d", n), fmt.Sprintf("测试单位%d", n))
}

// record makes a negative record whose disclosure ends on end ("" = none).
func (f *fixture) record(subject, provider int64, end string, status string) int64 {
	n := uniq.Add(1)
	var e any
	if end != "" {
		e = end
	}
	return f.id(`INSERT INTO records (subject_id, provider_id, category, severity, disclosure, title, decision_no, decided_on, disclosure_end, status)
		VALUES ($1, $2, 'negative', 'general', 'public', '测试记录', $3, '2024-01-01', $4, $5) RETURNING id`,
		subject, provider, fmt.Sprintf("T-%d", n), e, status)
}

type caseSpec struct {
	kind, stage, profile, status string
	// version is the profile version the case runs under (default v1).
	version  string
	provider int64
}

// newCase makes a case and returns its number.
func (f *fixture) newCase(s caseSpec) string {
	n := uniq.Add(1)
	no := fmt.Sprintf("T%08d", n)
	if s.kind == "" {
		s.kind = "objection"
	}
	if s.stage == "" {
		s.stage = "provider_verification"
	}
	if s.profile == "" {
		s.profile = "nantong"
	}
	if s.status == "" {
		s.status = "open"
	}
	if s.provider == 0 {
		s.provider = f.provider("测试提供单位")
	}
	if s.version == "" {
		s.version = "v1"
	}
	subj := f.subject()
	rec := f.record(subj, s.provider, "", "active")
	f.exec(`INSERT INTO cases (case_no, kind, workflow_id, record_id, subject_id, provider_id, profile_id, profile_version, stage, status, opened_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9, now())`,
		no, s.kind, "wf:"+no, rec, subj, s.provider, s.profile, s.stage, s.status, s.version)
	return no
}

// deadline adds deadline rule#seq due at the end of day due (Shanghai).
func (f *fixture) deadline(caseNo, rule string, seq int, party, due, state string, settled *time.Time) {
	d := calendar.MustParseDate(due)
	f.exec(`INSERT INTO case_deadlines (case_no, rule_id, seq, party, starts_at, start_date, n, unit, due_date, due_at,
			calendar_version, explanation, state, settled_at)
		VALUES ($1, $2, $3, $4, $5, $6, 5, 'wd', $7, $8, 'test', 'test', $9, $10)`,
		caseNo, rule, seq, party, d.AddDays(-7).Start(), d.AddDays(-7).Start(), d.Start(), d.End(), state, settled)
}

func sh(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.Shanghai)
}
