// Command records seeds a database with many credit records (COPY) and
// measures the latency of the public lookup and of the record list through
// the real API handlers (api.New, in process, no network), reporting
// p50/p95/p99.
//
//	go run ./bench/records -n 1000000            # private cluster in a temp dir
//	go run ./bench/records -n 1000000 -dir /tmp/ccbench   # keep the cluster for reruns
//	DATABASE_URL=postgres://… go run ./bench/records -n 1000000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 1_000_000, "records to hold")
	perSubject := flag.Int("per-subject", 10, "records per subject")
	requests := flag.Int("requests", 2000, "requests per measured operation")
	dir := flag.String("dir", "", "cluster directory to keep between runs (default: a temporary one)")
	flag.Parse()
	ctx := context.Background()

	url := os.Getenv("DATABASE_URL")
	if url == "" {
		d := *dir
		if d == "" {
			tmp, err := os.MkdirTemp("/tmp", "creditcase-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			d = tmp
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
		pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(d, "pg")})
		if err != nil {
			return err
		}
		defer pg.Stop()
		if err := pgcluster.CreateDatabase(ctx, pg.URL("postgres"), "bench"); err != nil {
			return err
		}
		url = pg.URL("bench")
	}
	pool, err := db.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	mig, err := db.NewMigrator(pool)
	if err != nil {
		return err
	}
	if _, err := mig.Up(ctx); err != nil {
		return err
	}
	_ = mig.Close()

	start := time.Now()
	added, err := seedRecords(ctx, pool, *n, *perSubject)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d records (%d total) in %s\n", added, *n, time.Since(start).Round(time.Millisecond))

	e := api.New(api.Deps{Pool: pool, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry(), BcryptCost: bcrypt.MinCost})
	token, err := benchToken(ctx, pool)
	if err != nil {
		return err
	}
	subjects := *n / *perSubject
	rng := rand.New(rand.NewPCG(1, 2))
	var firstID int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM records`).Scan(&firstID); err != nil {
		return err
	}

	ops := []struct {
		name string
		path func() string
	}{
		{"public lookup by name", func() string {
			return "/api/v1/public/records?q=" + urlQuery(subjectName(rng.IntN(subjects)))
		}},
		{"public lookup by code", func() string {
			c, _ := subjectIdent(rng.IntN(subjects))
			return "/api/v1/public/records?q=" + c
		}},
		{"record list, first page (50)", func() string { return "/api/v1/records?purpose=bench" }},
		{"record list, deep page (50, keyset)", func() string {
			return fmt.Sprintf("/api/v1/records?purpose=bench&before=%d", firstID+int64(rng.IntN(*n)))
		}},
		{"record list by category + disclosure", func() string {
			return "/api/v1/records?category=negative&disclosure=public"
		}},
	}
	fmt.Printf("%-38s %8s %8s %8s %8s\n", "operation", "p50", "p95", "p99", "max")
	for _, op := range ops {
		lat := make([]time.Duration, 0, *requests)
		for i := 0; i < *requests+50; i++ {
			req := httptest.NewRequest(http.MethodGet, op.path(), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			t0 := time.Now()
			e.ServeHTTP(rec, req)
			d := time.Since(t0)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("%s: %d %s", op.name, rec.Code, rec.Body.String())
			}
			if i == 0 && !json.Valid(rec.Body.Bytes()) {
				return errors.New(op.name + ": invalid JSON")
			}
			if i >= 50 { // warm-up
				lat = append(lat, d)
			}
		}
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond) }
		fmt.Printf("%-38s %8s %8s %8s %8s\n", op.name, q(.50), q(.95), q(.99), lat[len(lat)-1].Round(10*time.Microsecond))
	}
	return nil
}

func urlQuery(s string) string { return url.QueryEscape(s) }

// benchToken gives a caseworker a bearer token.
func benchToken(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	svc := auth.New(pool, bcrypt.MinCost)
	a, err := svc.AccountByUsername(ctx, "bench-caseworker")
	if errors.Is(err, auth.ErrNotFound) {
		a, err = svc.CreateAccount(ctx, audit.System, auth.NewAccount{Username: "bench-caseworker", DisplayName: "bench",
			Password: "bench-password", Role: auth.Caseworker})
	}
	if err != nil {
		return "", err
	}
	tok, err := svc.IssueBearer(ctx, a, "bench", time.Hour)
	return tok.Value, err
}

func subjectName(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("测试%d号", i)
	}
	return fmt.Sprintf("南通测试%d有限公司", i)
}

// subjectIdent makes a valid identifier for subject i: even subjects are
// persons, odd ones organisations.
func subjectIdent(i int) (string, ident.Kind) {
	if i%2 == 0 {
		birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i/1000)%20000)
		body := fmt.Sprintf("320602%s%03d", birth.Format("20060102"), i%1000)
		c, _ := ident.IDNumberCheckDigit(body)
		return body + string(c), ident.Person
	}
	body := fmt.Sprintf("91320600%09d", i)
	c, _ := ident.CreditCodeCheckChar(body)
	return body + string(c), ident.Organisation
}

// seedRecords tops the database up to n records with COPY, perSubject
// records per subject, spread over 10 providers and every category,
// severity and disclosure class.
func seedRecords(ctx context.Context, pool *pgxpool.Pool, n, perSubject int) (int, error) {
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM records`).Scan(&have); err != nil {
		return 0, err
	}
	if have >= n {
		return 0, nil
	}
	if have > 0 {
		return 0, fmt.Errorf("the database holds %d records, fewer than %d: use a fresh -dir", have, n)
	}
	var provIDs []int64
	for p := 0; p < 10; p++ {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, $2) RETURNING id`,
			fmt.Sprintf("bench-%02d", p), fmt.Sprintf("测试提供单位 %d", p)).Scan(&id); err != nil {
			return 0, err
		}
		provIDs = append(provIDs, id)
	}
	subjects := n / perSubject
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"subjects"}, []string{"kind", "ident", "name"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= subjects {
					return nil, nil
				}
				code, kind := subjectIdent(i)
				row := []any{string(kind), code, subjectName(i)}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		return 0, fmt.Errorf("copy subjects: %w", err)
	}
	var firstSubject int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM subjects`).Scan(&firstSubject); err != nil {
		return 0, err
	}
	cats := []string{"basic", "positive", "negative", "negative", "negative", "other"}
	sevs := []string{"minor", "general", "serious"}
	discl := []string{"public", "public", "government", "authorised"}
	today := time.Now()
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"records"},
		[]string{"subject_id", "provider_id", "category", "severity", "disclosure", "title", "content", "decision_no", "decided_on", "disclosure_end", "period_rule", "profile_id"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= n {
					return nil, nil
				}
				cat := cats[i%len(cats)]
				var sev, end any
				rule := ""
				decided := today.AddDate(0, 0, -(i % 700))
				if cat == "negative" {
					s := sevs[(i/7)%3]
					sev = s
					years := map[string]int{"minor": 0, "general": 1, "serious": 3}[s]
					e := decided.AddDate(years, map[bool]int{true: 3, false: 0}[s == "minor"], 0)
					end, rule = e, "disclosure."+s
				}
				row := []any{firstSubject + int64(i%subjects), provIDs[i%len(provIDs)], cat, sev, discl[(i/3)%len(discl)],
					"测试记录 " + strings.Repeat("信", 8), "内容", fmt.Sprintf("BENCH-%d", i), decided, end, rule, "nantong"}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		return 0, fmt.Errorf("copy records: %w", err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE subjects; ANALYZE records`); err != nil {
		return 0, err
	}
	return n, nil
}
