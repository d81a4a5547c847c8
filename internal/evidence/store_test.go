package evidence

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

var testPool *pgxpool.Pool

// caseSeq gives each test its own case references.
var caseSeq atomic.Int64

func newCase(t *testing.T) string {
	return fmt.Sprintf("test-%s-%d", t.Name(), caseSeq.Add(1))
}

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	ctx := context.Background()
	// Under /tmp so that the postgres user can reach it when tests run as root.
	dir, err := os.MkdirTemp("", "evidence-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	c, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start PostgreSQL (run `make setup`):", err)
		return 1
	}
	defer c.Stop()
	pool, err := db.Open(ctx, c.URL("postgres"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	mig, err := db.NewMigrator(pool)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := mig.Up(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		return 1
	}
	mig.Close()
	testPool = pool
	return m.Run()
}

func TestStorePutGetList(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool, Limits{})
	ref := newCase(t)
	pdf := samplePDF("put-get")
	m, err := s.Put(ctx, Owner{CaseRef: ref, UploadedBy: "subject:1"}, "../身份证明.pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == 0 || m.Name != "身份证明.pdf" || m.ContentType != TypePDF || m.Size != int64(len(pdf)) || m.CreatedAt.IsZero() || m.UploadedBy != "subject:1" {
		t.Fatalf("meta %+v", m)
	}
	got, data, err := s.Get(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(pdf) || got != m {
		t.Fatalf("Get = %+v (%d bytes), want %+v", got, len(data), m)
	}

	// Idempotent: same content, same case → same row, first name kept.
	again, err := s.Put(ctx, Owner{CaseRef: ref}, "renamed.pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	if again != m {
		t.Fatalf("second put = %+v, want %+v", again, m)
	}
	png1 := samplePNG(t, 5, 5, 3)
	p, err := s.Put(ctx, Owner{CaseRef: ref}, "现场照片.png", png1)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != m || list[1] != p {
		t.Fatalf("list %+v", list)
	}

	// The same content in another case is another row over the same blob.
	other, err := s.Put(ctx, Owner{CaseRef: newCase(t)}, "x.pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == m.ID || other.SHA256 != m.SHA256 {
		t.Fatalf("other case %+v", other)
	}
	var blobs int
	if err := testPool.QueryRow(ctx, `SELECT count(*) FROM evidence_blobs WHERE sha256 = $1`, m.SHA256).Scan(&blobs); err != nil || blobs != 1 {
		t.Fatalf("blobs = %d, %v", blobs, err)
	}

	empty, err := s.List(ctx, newCase(t))
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("empty list %v %v", empty, err)
	}
	if _, _, err := s.Get(ctx, -1); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("Get unknown: %v", err)
	}
}

func TestStoreRefusesBadFilesAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool, Limits{})
	ref := newCase(t)
	if _, err := s.Put(ctx, Owner{CaseRef: ref}, "a.pdf", []byte("<html></html>")); !errors.Is(err, ErrTypeNotAllowed) {
		t.Fatalf("html: %v", err)
	}
	if _, err := s.Put(ctx, Owner{}, "a.pdf", samplePDF("nocase")); err == nil {
		t.Fatal("put without a case was accepted")
	} else if e, ok := AsError(err); !ok || e.Code != CodeNoCase || e.Field != "case_ref" {
		t.Fatalf("no case: %v", err)
	}
	if list, err := s.List(ctx, ref); err != nil || len(list) != 0 {
		t.Fatalf("list after refusals: %v %v", list, err)
	}
}

func TestStoreCaseLimits(t *testing.T) {
	ctx := context.Background()
	a, b, c := samplePDF("limit-a"), samplePDF("limit-b"), samplePDF("limit-c")
	s := NewStore(testPool, Limits{MaxCaseTotal: int64(len(a) + len(b) + len(c) - 1)})
	ref := newCase(t)
	for _, d := range [][]byte{a, b} {
		if _, err := s.Put(ctx, Owner{CaseRef: ref}, "f.pdf", d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, Owner{CaseRef: ref}, "f.pdf", c); !errors.Is(err, ErrCaseTotal) {
		t.Fatalf("over total: %v", err)
	}
	// Re-putting an existing file does not count twice.
	if _, err := s.Put(ctx, Owner{CaseRef: ref}, "f.pdf", a); err != nil {
		t.Fatalf("idempotent put at the limit: %v", err)
	}

	s2 := NewStore(testPool, Limits{MaxCaseFiles: 1})
	ref2 := newCase(t)
	if _, err := s2.Put(ctx, Owner{CaseRef: ref2}, "f.pdf", a); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Put(ctx, Owner{CaseRef: ref2}, "f.pdf", b); !errors.Is(err, ErrCaseFiles) {
		t.Fatalf("over count: %v", err)
	}
}

// Concurrent uploads to one case cannot together overshoot the total.
func TestStoreConcurrentUploadsRespectTotal(t *testing.T) {
	ctx := context.Background()
	const n, allowed = 8, 3
	files := make([][]byte, n)
	for i := range files {
		files[i] = samplePDF(fmt.Sprintf("conc-%02d", i))
	}
	s := NewStore(testPool, Limits{MaxCaseTotal: int64(allowed * len(files[0]))})
	ref := newCase(t)
	var wg sync.WaitGroup
	var ok, refused atomic.Int32
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Put(ctx, Owner{CaseRef: ref}, "f.pdf", files[i])
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrCaseTotal):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != allowed || refused.Load() != n-allowed {
		t.Fatalf("accepted %d, refused %d", ok.Load(), refused.Load())
	}
}

func TestEvidenceIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool, Limits{})
	m, err := s.Put(ctx, Owner{CaseRef: newCase(t)}, "f.pdf", samplePDF("append-only"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE evidence SET name = 'x.pdf' WHERE id = $1`,
		`DELETE FROM evidence WHERE id = $1`,
	} {
		if _, err := testPool.Exec(ctx, q, m.ID); err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
	if _, err := testPool.Exec(ctx, `DELETE FROM evidence_blobs WHERE sha256 = $1`, m.SHA256); err == nil {
		t.Error("deleting a blob succeeded")
	}
}
