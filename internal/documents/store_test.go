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

// Issue 20.2: a letter's row is written when it is numbered (listed as
// being prepared, no content), filled once when it is rendered, and never
// changed after; reserving again or saving the same letter again is
// harmless.
func TestLetterReservedThenFilledOnce(t *testing.T) {
	ctx := context.Background()
	s := NewStore(testPool)
	ref := "store-" + t.Name()
	d := samples()[KindAcceptance]
	d.header().CaseRef = ref
	d.header().Number = FormatNumber("通信异受字", 2026, 9120) // of its own: numbers are unique
	r, err := Render(KindAcceptance, d)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := Reserve(ctx, testPool, ref, KindAcceptance, r.Number); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListDocuments(ctx, ref)
	if err != nil || len(list) != 1 || list[0].Status != StatusPreparing || list[0].Ready() || list[0].SHA256 != "" || list[0].Number != r.Number {
		t.Fatalf("after reserving twice: %+v, %v; want one letter being prepared", list, err)
	}
	got, err := s.GetDocument(ctx, list[0].ID)
	if err != nil || got.PDF != nil || got.HTML != nil {
		t.Fatalf("a letter being prepared has content: %d bytes, %v", len(got.PDF), err)
	}
	if done, err := IsRendered(ctx, testPool, ref, KindAcceptance, r.Number); err != nil || done {
		t.Fatalf("IsRendered before rendering: %v, %v", done, err)
	}
	for range 2 {
		m, err := s.SaveDocument(ctx, r)
		if err != nil || m.ID != list[0].ID || m.Status != StatusReady || m.SHA256 != r.SHA256 {
			t.Fatalf("filling the letter: %+v, %v; want row %d ready", m, err, list[0].ID)
		}
	}
	if done, err := IsRendered(ctx, testPool, ref, KindAcceptance, r.Number); err != nil || !done {
		t.Fatalf("IsRendered after rendering: %v, %v", done, err)
	}
	// Once filled, the row is append-only again: no second content, no
	// other change.
	if _, err := testPool.Exec(ctx, `UPDATE case_documents SET pdf = '\x00', sha256 = repeat('0', 64) WHERE id = $1`, list[0].ID); err == nil {
		t.Fatal("a filled letter's content was replaced")
	}
	if _, err := testPool.Exec(ctx, `UPDATE case_documents SET title = 'x' WHERE id = $1`, list[0].ID); err == nil {
		t.Fatal("a letter's title was changed")
	}
	other := r
	other.SHA256 = fmt.Sprintf("%064d", 1)
	if _, err := s.SaveDocument(ctx, other); !errors.Is(err, ErrNumberTaken) {
		t.Fatalf("another letter under the same number: %v; want ErrNumberTaken", err)
	}
}
