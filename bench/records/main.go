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
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/bench/internal/seedrec"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/db"
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
	added, err := seedrec.Seed(ctx, pool, seedrec.Options{N: *n, PerSubject: *perSubject})
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d records (%d total) in %s\n", added, *n, time.Since(start).Round(time.Millisecond))

	app := application.New(application.Deps{Pool: pool, Logger: zerolog.Nop(), BcryptCost: bcrypt.MinCost})
	e := api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()})
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
			return "/api/v1/public/records?q=" + urlQuery(seedrec.SyntheticName(rng.IntN(subjects)))
		}},
		{"public lookup by code", func() string {
			c, _ := seedrec.SubjectIdent(rng.IntN(subjects))
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
