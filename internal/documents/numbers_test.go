package documents

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/db"
)

// Two cases can no longer share a letter number: documents of many cases
// drawing at once each get their own, and a document asking again gets
// its own back.
func TestTwoCasesNeverShareANumber(t *testing.T) {
	ctx := context.Background()
	series := "测信异字" + strings.ReplaceAll(t.Name(), "/", "")
	var mu sync.Mutex
	got := map[string]string{} // number -> case/doc
	var wg sync.WaitGroup
	for c := 1; c <= 8; c++ {
		for d := 1; d <= 5; d++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := NumberRequest{Series: series, Year: 2026, CaseRef: fmt.Sprintf("YY-2026-%06d", c), DocSeq: d, Kind: KindAcceptance}
				n, err := DrawNumber(ctx, testPool, req)
				if err != nil {
					t.Error(err)
					return
				}
				again, err := DrawNumber(ctx, testPool, req)
				if err != nil || again != n {
					t.Errorf("%s document %d asked again: %s, %v; first %s", req.CaseRef, d, again, err, n)
				}
				mu.Lock()
				defer mu.Unlock()
				if other, dup := got[n]; dup {
					t.Errorf("%s drawn for %s and %s/%d", n, other, req.CaseRef, d)
				}
				got[n] = fmt.Sprintf("%s/%d", req.CaseRef, d)
			}()
		}
	}
	wg.Wait()
	if len(got) != 40 {
		t.Fatalf("%d numbers for 40 documents", len(got))
	}
	// Gapless: 1..40 in the series.
	for i := 1; i <= 40; i++ {
		if _, ok := got[FormatNumber(series, 2026, i)]; !ok {
			t.Errorf("%s was skipped", FormatNumber(series, 2026, i))
		}
	}
	// A new year starts again at 1.
	n, err := DrawNumber(ctx, testPool, NumberRequest{Series: series, Year: 2027, CaseRef: "YY-2027-000001", DocSeq: 1, Kind: KindAcceptance})
	if err != nil || n != FormatNumber(series, 2027, 1) {
		t.Errorf("2027: %s, %v", n, err)
	}
	// The old derivation gave case 000001's first document and case 000010's
	// first (octal 010 = 8, ×100) ... numbers that repeated; numbers are now
	// independent of the case number.
	if _, err := DrawNumber(ctx, testPool, NumberRequest{Series: series, Year: 2026, CaseRef: "", DocSeq: 1, Kind: KindAcceptance}); err == nil {
		t.Error("a number without a case was drawn")
	}
}

// The migration renumbers nothing already issued: documents stored before
// it keep their numbers, shared ones included; the counters start above
// every number issued, and from then on the database refuses a second
// document under a number.
func TestNumberMigrationKeepsIssuedNumbers(t *testing.T) {
	ctx := context.Background()
	name := "numbers_migration"
	if _, err := testPool.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
		t.Fatal(err)
	}
	if _, err := testPool.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	cfg := testPool.Config().ConnConfig.Copy()
	cfg.Database = name
	pcfg, err := pgxpool.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	pcfg.ConnConfig = cfg
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	mig, err := db.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer mig.Close()
	if _, err := mig.Up(ctx); err != nil {
		t.Fatal(err)
	}
	// Back to before 00070, as a database of the old code.
	for {
		v, err := mig.Down(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v == 70 || v == 0 {
			break
		}
	}
	legacy := []struct{ caseRef, number string }{
		{"YY-2026-000001", "信异字〔2026〕第0101号"},
		{"YY-2026-000008", "信异字〔2026〕第0101号"}, // the octal collision
		{"YY-2026-000100", "信异字〔2026〕第10001号"},
		{"XF-2026-000002", "信修字〔2026〕第0203号"},
		{"YY-2025-000003", "信异字〔2025〕第0301号"},
	}
	for i, l := range legacy {
		if _, err := pool.Exec(ctx, `INSERT INTO case_documents (case_ref, kind, number, title, recipient_role, html, pdf, sha256)
			VALUES ($1, 'objection_acceptance', $2, '异议申请受理通知书', 'subject', 'h', 'p', $3)`,
			l.caseRef, l.number, strings.Repeat(fmt.Sprint(i), 64)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := mig.Up(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT case_ref, number FROM case_documents ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for rows.Next() {
		var c, n string
		if err := rows.Scan(&c, &n); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, c+" "+n)
	}
	rows.Close()
	var want []string
	for _, l := range legacy {
		want = append(want, l.caseRef+" "+l.number)
	}
	if strings.Join(kept, "\n") != strings.Join(want, "\n") {
		t.Fatalf("issued documents changed:\n%s", strings.Join(kept, "\n"))
	}
	for series, next := range map[string]string{"信异字": "信异字〔2026〕第10002号", "信修字": "信修字〔2026〕第0204号"} {
		n, err := DrawNumber(ctx, pool, NumberRequest{Series: series, Year: 2026, CaseRef: "new-" + series, DocSeq: 1, Kind: KindAcceptance})
		if err != nil || n != next {
			t.Errorf("next %s: %s, %v; want %s", series, n, err, next)
		}
	}
	if n, _ := DrawNumber(ctx, pool, NumberRequest{Series: "信异字", Year: 2025, CaseRef: "new-2025", DocSeq: 1, Kind: KindAcceptance}); n != "信异字〔2025〕第0302号" {
		t.Errorf("next of 2025: %s", n)
	}
	// From now on a number is unique in case_documents too.
	insert := func(caseRef, number string) error {
		_, err := pool.Exec(ctx, `INSERT INTO case_documents (case_ref, kind, number, title, recipient_role, html, pdf, sha256)
			VALUES ($1, 'objection_result', $2, '信用信息异议处理结果告知书', 'subject', 'h', 'p', $3)`, caseRef, number, strings.Repeat("a", 64))
		return err
	}
	if err := insert("YY-2026-000200", "信异字〔2026〕第10002号"); err != nil {
		t.Fatal(err)
	}
	err = insert("YY-2026-000201", "信异字〔2026〕第10002号")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		t.Fatalf("a second document under one number: %v", err)
	}
	// Down and up again: the migration is reversible.
	for {
		v, err := mig.Down(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v == 70 || v == 0 {
			break
		}
	}
	if _, err := mig.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
