package documents

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

var testPool *pgxpool.Pool

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	ctx := context.Background()
	// Under /tmp so that the postgres user can reach it when tests run as root.
	dir, err := os.MkdirTemp("", "documents-test-")
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

func TestStoreSaveGetList(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool)
	ref := "store-" + t.Name()
	var saved []Meta
	for _, k := range []Kind{KindAcceptance, KindVerification} {
		d := samples()[k]
		d.header().CaseRef = ref
		r, err := Render(k, d)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.SaveDocument(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 || m.CaseRef != ref || m.Kind != k || m.Number != r.Number || m.Title != k.Title() || m.Recipient != k.Recipient() || m.SHA256 != r.SHA256 || m.CreatedAt.IsZero() {
			t.Fatalf("saved %+v", m)
		}
		// Saving again (a retried activity) returns the same row.
		again, err := s.SaveDocument(ctx, r)
		if err != nil || again != m {
			t.Fatalf("second save = %+v, %v; want %+v", again, err, m)
		}
		got, err := s.GetDocument(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Meta != m || string(got.PDF) != string(r.PDF) || string(got.HTML) != string(r.HTML) {
			t.Fatalf("GetDocument = %+v", got.Meta)
		}
		saved = append(saved, m)
	}
	if saved[1].Recipient != RoleProvider {
		t.Fatalf("verification request addressed to %s", saved[1].Recipient)
	}
	list, err := s.ListDocuments(ctx, ref)
	if err != nil || len(list) != 2 || list[0] != saved[0] || list[1] != saved[1] {
		t.Fatalf("ListDocuments = %+v, %v", list, err)
	}
	if list, err := s.ListDocuments(ctx, "no-such-case"); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("empty list = %v, %v", list, err)
	}
	if _, err := s.GetDocument(ctx, -1); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestStoreRefusesReusedNumber(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool)
	d := *samples()[KindObjectionResult].(*ObjectionResult)
	d.CaseRef = "store-" + t.Name()
	first, err := Render(KindObjectionResult, &d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveDocument(ctx, first); err != nil {
		t.Fatal(err)
	}
	d.Outcome = OutcomeUpheld
	other, err := Render(KindObjectionResult, &d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveDocument(ctx, other); !errors.Is(err, ErrNumberTaken) {
		t.Fatalf("different document under a used number: %v", err)
	}
	if _, err := s.SaveDocument(ctx, Rendered{Kind: KindAcceptance}); err == nil {
		t.Fatal("an empty document was saved")
	}
	if _, err := testPool.Exec(ctx, `UPDATE case_documents SET title = 'x' WHERE case_ref = $1`, d.CaseRef); err == nil {
		t.Fatal("an issued document was changed")
	}
}
