// Command board seeds a database with many cases and their deadlines (COPY)
// and measures the supervisors' deadline board, the escalation list and
// the provider performance report through the real API handlers (api.New,
// in process, no network), reporting p50/p95/p99.
//
//	go run ./bench/board -cases 1000000                    # private cluster in a temp dir
//	go run ./bench/board -cases 1000000 -dir /tmp/ccboard  # keep the cluster for reruns
//	DATABASE_URL=postgres://… go run ./bench/board -cases 1000000
//
// Every case has three deadlines (centre check, provider reply, whole case);
// 30% of the cases are open, their last deadline pending (a few missed and
// escalated), spread from 5 days ago to 25 days ahead so every light has
// rows; closed cases' deadlines are settled met, late or missed over the
// past 400 days, which the report aggregates.
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
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const providers = 20

var (
	kinds    = []string{"objection", "listing", "repair"}
	profiles = []string{"nantong", "anshan", "nanning", "qinzhou", "shenzhen"}
	stages   = map[string][]string{
		"objection": {"acceptance", "centre_check", "provider_verification", "deciding"},
		"listing":   {"notice", "representation", "deciding"},
		"repair":    {"acceptance", "provider_opinion", "publicity", "deciding"},
	}
)

func run() error {
	n := flag.Int("cases", 1_000_000, "cases to hold")
	requests := flag.Int("requests", 1000, "requests per measured operation")
	dir := flag.String("dir", "", "cluster directory to keep between runs (default: a temporary one)")
	flag.Parse()
	ctx := context.Background()

	url := os.Getenv("DATABASE_URL")
	if url == "" {
		d := *dir
		if d == "" {
			tmp, err := os.MkdirTemp("/tmp", "creditcase-board-bench-")
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
	provIDs, err := seed(ctx, pool, *n)
	if err != nil {
		return err
	}
	var deadlines, open int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM case_deadlines), (SELECT count(*) FROM case_deadlines WHERE state IN ('pending', 'missed'))`).
		Scan(&deadlines, &open); err != nil {
		return err
	}
	fmt.Printf("holding %d cases, %d deadlines (%d open) — seeding took %s\n", *n, deadlines, open, time.Since(start).Round(time.Millisecond))

	app := application.New(application.Deps{Pool: pool, Logger: zerolog.Nop(), BcryptCost: bcrypt.MinCost})
	e := api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()})
	token, err := benchToken(ctx, pool)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	get := func(path string) ([]byte, time.Duration, error) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		e.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != http.StatusOK {
			return nil, d, fmt.Errorf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
		return rec.Body.Bytes(), d, nil
	}
	// Cursors for deep pages: follow the board 20 pages in.
	var cursors []string
	next := ""
	for range 20 {
		body, _, err := get("/api/v1/board?limit=50&after=" + next)
		if err != nil {
			return err
		}
		var p struct {
			Next string `json:"next"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return err
		}
		if p.Next == "" {
			break
		}
		cursors = append(cursors, p.Next)
		next = p.Next
	}
	prov := func() int64 { return provIDs[rng.IntN(len(provIDs))] }
	month := calendar.DateOf(time.Now()).AddDays(-30)
	ops := []struct {
		name string
		path func() string
	}{
		{"board, first page (50)", func() string { return "/api/v1/board" }},
		{"board, red", func() string { return "/api/v1/board?light=red" }},
		{"board, yellow", func() string { return "/api/v1/board?light=yellow" }},
		{"board, green", func() string { return "/api/v1/board?light=green" }},
		{"board, latest due first", func() string { return "/api/v1/board?sort=-due" }},
		{"board, provider X", func() string { return fmt.Sprintf("/api/v1/board?provider=%d", prov()) }},
		{"board, provider X + yellow", func() string { return fmt.Sprintf("/api/v1/board?provider=%d&light=yellow", prov()) }},
		{"board, party centre + red", func() string { return "/api/v1/board?party=centre&light=red" }},
		{"board, kind + stage", func() string {
			k := kinds[rng.IntN(len(kinds))]
			return "/api/v1/board?kind=" + k + "&stage=" + stages[k][rng.IntN(len(stages[k]))]
		}},
		{"board, locality + yellow", func() string { return "/api/v1/board?light=yellow&profile=" + profiles[rng.IntN(len(profiles))] }},
		{"board, keyset page ≤20 deep", func() string {
			if len(cursors) == 0 {
				return "/api/v1/board"
			}
			return "/api/v1/board?after=" + cursors[rng.IntN(len(cursors))]
		}},
		{"escalations, open", func() string { return "/api/v1/escalations" }},
		{"report, provider performance 30 d", func() string {
			return "/api/v1/reports/provider-performance?from=" + month.String() + "&to=" + month.AddDays(29).String()
		}},
	}
	fmt.Printf("%-36s %8s %8s %8s %8s\n", "operation", "p50", "p95", "p99", "max")
	for _, op := range ops {
		reqs := *requests
		if op.name[:6] == "report" {
			reqs = max(reqs/10, 20)
		}
		lat := make([]time.Duration, 0, reqs)
		for i := 0; i < reqs+20; i++ {
			body, d, err := get(op.path())
			if err != nil {
				return fmt.Errorf("%s: %w", op.name, err)
			}
			if i == 0 && !json.Valid(body) {
				return errors.New(op.name + ": invalid JSON")
			}
			if i >= 20 { // warm-up
				lat = append(lat, d)
			}
		}
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond) }
		fmt.Printf("%-36s %8s %8s %8s %8s\n", op.name, q(.50), q(.95), q(.99), lat[len(lat)-1].Round(10*time.Microsecond))
	}
	return nil
}

// benchToken gives a supervisor a bearer token.
func benchToken(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	svc := auth.New(pool, bcrypt.MinCost)
	a, err := svc.AccountByUsername(ctx, "bench-supervisor")
	if errors.Is(err, auth.ErrNotFound) {
		a, err = svc.CreateAccount(ctx, audit.System, auth.NewAccount{Username: "bench-supervisor", DisplayName: "bench",
			Password: "bench-password", Role: auth.Supervisor})
	}
	if err != nil {
		return "", err
	}
	tok, err := svc.IssueBearer(ctx, a, "bench", time.Hour)
	return tok.Value, err
}

// seed tops the database up to n cases (it refuses a partly seeded one).
func seed(ctx context.Context, pool *pgxpool.Pool, n int) ([]int64, error) {
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&have); err != nil {
		return nil, err
	}
	var ids []int64
	if have > 0 {
		rows, err := pool.Query(ctx, `SELECT id FROM providers WHERE code LIKE 'board-%' ORDER BY id`)
		if err != nil {
			return nil, err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, err
		}
		if have != n || len(ids) != providers {
			return nil, fmt.Errorf("the database holds %d cases, not %d: use a fresh -dir", have, n)
		}
		return ids, nil
	}
	for p := range providers {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, $2) RETURNING id`,
			fmt.Sprintf("board-%02d", p), fmt.Sprintf("测试提供单位 %d", p)).Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	now := time.Now()
	today := calendar.DateOf(now)
	isOpen := func(i int) bool { return i%10 < 3 }
	t0 := time.Now()
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"cases"},
		[]string{"case_no", "kind", "workflow_id", "record_id", "subject_id", "provider_id", "profile_id", "profile_version",
			"stage", "status", "opened_at", "closed_at"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= n {
					return nil, nil
				}
				k := kinds[i%3]
				st := stages[k][(i/3)%len(stages[k])]
				status, closed := "closed", any(now.Add(-time.Duration(i%400)*24*time.Hour))
				if isOpen(i) {
					status, closed = "open", nil
				}
				opened := now.Add(-time.Duration(i%400+20) * 24 * time.Hour)
				row := []any{caseNo(i), k, "bench:" + caseNo(i), int64(i + 1), int64(i/3 + 1), ids[i%providers],
					profiles[(i/7)%len(profiles)], "bench", st, status, opened, closed}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		return nil, fmt.Errorf("copy cases: %w", err)
	}
	fmt.Printf("  cases copied in %s\n", time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"case_deadlines"},
		[]string{"case_no", "rule_id", "seq", "party", "starts_at", "start_date", "n", "unit", "due_date", "due_at",
			"calendar_version", "explanation", "state", "settled_at"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i, j := 0, 0
			return func() ([]any, error) {
				if i >= n {
					return nil, nil
				}
				prov := fmt.Sprintf("provider:%d", ids[i%providers])
				rule, party, length := []string{"centre_check", "provider_reply", "whole_case"}[j], []string{"centre", prov, "centre"}[j], []int{3, 5, 10}[j]
				if j == 2 && i%5 == 0 {
					party = "subject" // e.g. the subject's supplement
				}
				var due calendar.Date
				state, settled := "met", any(nil)
				switch {
				case isOpen(i) && j == 2:
					due = today.AddDays(rng.IntN(31) - 5)
					state = "pending"
					if due.Before(today) && rng.IntN(2) == 0 {
						state = "missed"
						settled = due.End()
					}
				case isOpen(i):
					due = today.AddDays(-10 - j*5 - i%20)
				default:
					due = today.AddDays(-(i % 400) - 5 + j*3)
				}
				if state == "met" {
					switch r := rng.IntN(20); {
					case r < 16:
						settled = due.Start().Add(time.Duration(rng.IntN(24)) * time.Hour) // on time
					case r < 18:
						settled = due.End().Add(time.Duration(1+rng.IntN(72)) * time.Hour) // late
					default:
						state, settled = "missed", due.End()
					}
				}
				startDate := due.AddDays(-length - 2)
				row := []any{caseNo(i), rule, 1, party, startDate.Start(), startDate.Start(), length, "wd", due.Start(), due.End(),
					"2026", "bench", state, settled}
				if j++; j == 3 {
					j = 0
					i++
				}
				return row, nil
			}
		}()))
	if err != nil {
		return nil, fmt.Errorf("copy deadlines: %w", err)
	}
	fmt.Printf("  deadlines copied in %s\n", time.Since(t0).Round(time.Millisecond))
	// Escalations for the missed provider and case deadlines of open cases.
	if _, err := pool.Exec(ctx, `INSERT INTO escalations (case_no, rule_id, seq, party, since)
		SELECT d.case_no, d.rule_id, d.seq, d.party, d.due_at FROM case_deadlines d
		WHERE d.state = 'missed' AND d.case_no IN (SELECT case_no FROM cases WHERE status = 'open')`); err != nil {
		return nil, err
	}
	// VACUUM sets the visibility map, so the report reads its covering index only.
	for _, t := range []string{"cases", "case_deadlines", "escalations"} {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func caseNo(i int) string { return fmt.Sprintf("B%08d", i) }
