// Command board seeds a database with many cases and their deadlines (COPY)
// and measures the supervisors' deadline board, the escalation list and
// the provider performance report, and the caseworkers' worklist, through
// the real API handlers (api.New, in process, no network), and the staff
// console's worklist (/desk) and board (/board) pages (web.Mount on the
// same core, in process), as a supervisor and as a caseworker: first pages,
// filters and deep keyset pages, reporting p50/p95/p99 server time with the
// load average of the machine beside each line. Issue 15's target: the
// worklist and board pages p99 ≤ 50 ms with 1 M cases.
//
//	go run ./bench/board -cases 1000000                    # private cluster in a temp dir
//	go run ./bench/board -cases 1000000 -dir /tmp/ccboard  # keep the cluster for reruns
//	DATABASE_URL=postgres://… go run ./bench/board -cases 1000000
//
// Every case has three deadlines (centre check, provider reply, whole case);
// 30% of the cases are open, their last deadline pending (a few missed and
// escalated), spread from 5 days ago to 25 days ahead so every light has
// rows; 1% of the open cases have no open deadline (the worklist's "none");
// closed cases' deadlines are settled met, late or missed over the past
// 400 days, which the report aggregates. 20 caseworkers handle six open
// cases in seven (case_assignments). The worklist's place of a case (its
// earliest open deadline, the work_* columns of migration 00095, kept by a
// trigger on the case row) is filled after the COPY of the deadlines, as
// the workflows' saving of the case row fills it in production.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/bench/internal/figures"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/web"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const (
	providers   = 20
	caseworkers = 20
)

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
	only := flag.String("only", "", "measure only the operations whose name contains this")
	dir := flag.String("dir", "", "cluster directory to keep between runs (default: a temporary one)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured requests to this file")
	seedOnly := flag.Bool("seed-only", false, "seed the cluster of -dir (or DATABASE_URL) and stop: measure in a later run that reuses it")
	flag.Parse()
	if *seedOnly && *dir == "" && os.Getenv("DATABASE_URL") == "" {
		return errors.New("-seed-only needs -dir (or DATABASE_URL): a temporary cluster would be deleted at once")
	}
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
	if *seedOnly {
		var size string
		if err := pool.QueryRow(ctx, `SELECT pg_size_pretty(pg_database_size(current_database()))`).Scan(&size); err != nil {
			return err
		}
		fmt.Printf("database size %s; measure with the same -cases and -dir\n", size)
		return nil
	}

	// The rules as `creditcase serve` holds them (rules.Open: profiles and
	// calendar kept in the database, the calendar head read per request, a
	// deadline's calendar found by its version), not a static set: the
	// pages pay what they pay in production. The seeded deadlines say they
	// were counted with calendar "2026": that name is given the embedded
	// calendar's revision, as an import gives a version its revision.
	local, err := rules.LoadLocal(rules.Dirs{})
	if err != nil {
		return err
	}
	rl, err := rules.Open(ctx, pool, local, zerolog.Nop(), "bench/board")
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO calendar_versions (version, region, rev)
		SELECT '2026', '', min(rev) FROM calendar_revisions ON CONFLICT DO NOTHING`); err != nil {
		return err
	}
	app := application.New(application.Deps{Pool: pool, Logger: zerolog.Nop(), BcryptCost: bcrypt.MinCost, Rules: rl})
	e := api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()})
	token, err := benchToken(ctx, pool, "bench-supervisor", auth.Supervisor)
	if err != nil {
		return err
	}
	cwToken, err := benchToken(ctx, pool, "bench-cw-00", auth.Caseworker)
	if err != nil {
		return err
	}
	// The console on the same core, with a session per role.
	ce := echo.New()
	if _, err := web.Mount(ce, web.Deps{App: app, Pool: pool, Logger: zerolog.Nop(), BcryptCost: bcrypt.MinCost}); err != nil {
		return err
	}
	superSession, err := benchSession(ctx, pool, "bench-supervisor")
	if err != nil {
		return err
	}
	cwSession, err := benchSession(ctx, pool, "bench-cw-00")
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	getAs := func(path, bearer string) ([]byte, time.Duration, error) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		e.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != http.StatusOK {
			return nil, d, fmt.Errorf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
		return rec.Body.Bytes(), d, nil
	}
	get := func(path string) ([]byte, time.Duration, error) { return getAs(path, token) }
	page := func(path, session string) ([]byte, time.Duration, error) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Language", "zh-CN")
		req.AddCookie(&http.Cookie{Name: "cc_session", Value: session})
		rec := httptest.NewRecorder()
		t0 := time.Now()
		ce.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "</html>") {
			b := rec.Body.String()
			return nil, d, fmt.Errorf("%s: %d %s", path, rec.Code, b[:min(len(b), 300)])
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
	// Deep keyset pages: cursors of pages far down the worklist and the
	// board (the 1 000th to the 200 000th row), as the pages' "next" links
	// carry them.
	wlDeep, boardDeep, err := deepCursors(ctx, pool)
	if err != nil {
		return err
	}
	deep := func(cs []string) string { return cs[rng.IntN(len(cs))] }
	wlFirst, _, err := get("/api/v1/worklist")
	if err != nil {
		return err
	}
	var wl struct {
		Counts map[string]int `json:"counts"`
		Next   string         `json:"next"`
	}
	if err := json.Unmarshal(wlFirst, &wl); err != nil {
		return err
	}
	var mine int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM case_assignments a JOIN accounts x ON x.id = a.account_id
		JOIN cases c ON c.case_no = a.case_no WHERE x.username = 'bench-cw-00' AND c.status = 'open'`).Scan(&mine); err != nil {
		return err
	}
	fmt.Printf("worklist counts %v; bench-cw-00 handles %d open cases\n", wl.Counts, mine)
	// The counts (summed from the tallies) are those of the rows.
	var openCases int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE status = 'open'`).Scan(&openCases); err != nil {
		return err
	}
	if t := wl.Counts["red"] + wl.Counts["yellow"] + wl.Counts["green"] + wl.Counts["none"]; t != openCases {
		return fmt.Errorf("the worklist counts %d open cases, the table holds %d", t, openCases)
	}
	mineBody, _, err := getAs("/api/v1/worklist?mine=true", cwToken)
	if err != nil {
		return err
	}
	var wlMine struct {
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal(mineBody, &wlMine); err != nil {
		return err
	}
	if t := wlMine.Counts["red"] + wlMine.Counts["yellow"] + wlMine.Counts["green"] + wlMine.Counts["none"]; t != mine {
		return fmt.Errorf("assigned to me counts %d cases, bench-cw-00 handles %d", t, mine)
	}
	if wl.Counts["red"] == 0 || wl.Counts["yellow"] == 0 || wl.Counts["green"] == 0 || wl.Counts["none"] == 0 {
		return fmt.Errorf("the worklist lacks a light (work_* columns not filled?): %v", wl.Counts)
	}
	kindStage := func() (string, string) {
		k := kinds[rng.IntN(len(kinds))]
		return k, stages[k][rng.IntN(len(stages[k]))]
	}
	prov := func() int64 { return provIDs[rng.IntN(len(provIDs))] }
	month := calendar.DateOf(time.Now()).AddDays(-30)
	type op struct {
		name string
		path func() string
		get  func(string) ([]byte, time.Duration, error)
	}
	ops := []op{
		{"board, first page (50)", func() string { return "/api/v1/board" }, nil},
		{"board, red", func() string { return "/api/v1/board?light=red" }, nil},
		{"board, yellow", func() string { return "/api/v1/board?light=yellow" }, nil},
		{"board, green", func() string { return "/api/v1/board?light=green" }, nil},
		{"board, latest due first", func() string { return "/api/v1/board?sort=-due" }, nil},
		{"board, provider X", func() string { return fmt.Sprintf("/api/v1/board?provider=%d", prov()) }, nil},
		{"board, provider X + yellow", func() string { return fmt.Sprintf("/api/v1/board?provider=%d&light=yellow", prov()) }, nil},
		{"board, party centre + red", func() string { return "/api/v1/board?party=centre&light=red" }, nil},
		{"board, kind + stage", func() string {
			k := kinds[rng.IntN(len(kinds))]
			return "/api/v1/board?kind=" + k + "&stage=" + stages[k][rng.IntN(len(stages[k]))]
		}, nil},
		{"board, locality + yellow", func() string { return "/api/v1/board?light=yellow&profile=" + profiles[rng.IntN(len(profiles))] }, nil},
		{"board, keyset page ≤20 deep", func() string {
			if len(cursors) == 0 {
				return "/api/v1/board"
			}
			return "/api/v1/board?after=" + cursors[rng.IntN(len(cursors))]
		}, nil},
		{"escalations, open", func() string { return "/api/v1/escalations" }, nil},
		{"report, provider performance 30 d", func() string {
			return "/api/v1/reports/provider-performance?from=" + month.String() + "&to=" + month.AddDays(29).String()
		}, nil},
	}
	asCW := func(p string) ([]byte, time.Duration, error) { return getAs(p, cwToken) }
	superPage := func(p string) ([]byte, time.Duration, error) { return page(p, superSession) }
	cwPage := func(p string) ([]byte, time.Duration, error) { return page(p, cwSession) }
	ops = append(ops,
		// the worklist through the API
		op{"worklist API, first page (S)", func() string { return "/api/v1/worklist" }, nil},
		op{"worklist API, first page (C)", func() string { return "/api/v1/worklist" }, asCW},
		op{"worklist API, assigned to me (C)", func() string { return "/api/v1/worklist?mine=true" }, asCW},
		op{"worklist API, mine + red (C)", func() string { return "/api/v1/worklist?mine=true&light=red" }, asCW},
		op{"worklist API, yellow (S)", func() string { return "/api/v1/worklist?light=yellow" }, nil},
		op{"worklist API, none (S)", func() string { return "/api/v1/worklist?light=none" }, nil},
		op{"worklist API, kind + stage (C)", func() string {
			k, st := kindStage()
			return "/api/v1/worklist?kind=" + k + "&stage=" + st
		}, asCW},
		op{"worklist API, profile + green (S)", func() string {
			return "/api/v1/worklist?light=green&profile=" + profiles[rng.IntN(len(profiles))]
		}, nil},
		op{"worklist API, party provider (C)", func() string { return "/api/v1/worklist?party=provider" }, asCW},
		op{"worklist API, deep keyset (C)", func() string { return "/api/v1/worklist?after=" + deep(wlDeep) }, asCW},
		// the console's pages
		op{"/desk, first page (C)", func() string { return "/desk" }, cwPage},
		op{"/desk, first page (S)", func() string { return "/desk" }, superPage},
		op{"/desk, assigned to me (C)", func() string { return "/desk?mine=1" }, cwPage},
		op{"/desk, red (S)", func() string { return "/desk?light=red" }, superPage},
		op{"/desk, kind + stage (C)", func() string {
			k, st := kindStage()
			return "/desk?kind=" + k + "&stage=" + st
		}, cwPage},
		op{"/desk, profile + yellow (S)", func() string { return "/desk?light=yellow&profile=" + profiles[rng.IntN(len(profiles))] }, superPage},
		op{"/desk, deep keyset (C)", func() string { return "/desk?after=" + deep(wlDeep) }, cwPage},
		op{"/board, first page (S)", func() string { return "/board" }, superPage},
		op{"/board, first page (C)", func() string { return "/board" }, cwPage},
		op{"/board, red (S)", func() string { return "/board?light=red" }, superPage},
		op{"/board, kind + stage (S)", func() string {
			k, st := kindStage()
			return "/board?kind=" + k + "&stage=" + st
		}, superPage},
		op{"/board, profile + yellow (S)", func() string { return "/board?light=yellow&profile=" + profiles[rng.IntN(len(profiles))] }, superPage},
		op{"/board, party centre + red (S)", func() string { return "/board?party=centre&light=red" }, superPage},
		op{"/board, deep keyset (S)", func() string { return "/board?after=" + deep(boardDeep) }, superPage},
		// the provider report as a supervisor opens it (this month so far)
		op{"/reports/providers page (S)", func() string { return "/reports/providers" }, superPage},
	)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("(S) a supervisor, (C) a caseworker; server time in process; load = 1-minute load average after the line\n")
	fmt.Printf("%-36s %8s %8s %8s %8s %6s\n", "operation", "p50", "p95", "p99", "max", "load")
	worst := map[string]time.Duration{}
	for _, op := range ops {
		if *only != "" && !strings.Contains(op.name, *only) {
			continue
		}
		if op.get == nil {
			op.get = get
		}
		reqs := *requests
		if op.name[:6] == "report" {
			reqs = max(reqs/10, 20)
		}
		lat := make([]time.Duration, 0, reqs)
		for i := 0; i < reqs+20; i++ {
			body, d, err := op.get(op.path())
			if err != nil {
				return fmt.Errorf("%s: %w", op.name, err)
			}
			if i == 0 && !strings.HasPrefix(op.name, "/") && !json.Valid(body) {
				return errors.New(op.name + ": invalid JSON")
			}
			if i >= 20 { // warm-up
				lat = append(lat, d)
			}
		}
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond) }
		fmt.Printf("%-36s %8s %8s %8s %8s %6s\n", op.name, q(.50), q(.95), q(.99), lat[len(lat)-1].Round(10*time.Microsecond), loadAvg())
		for _, g := range []string{"worklist", "/desk", "/board", "board"} {
			if strings.HasPrefix(op.name, g) {
				worst[g] = max(worst[g], q(.99))
				break
			}
		}
	}
	var figs []figures.Figure
	for _, g := range []string{"worklist", "/desk", "/board", "board"} {
		if w, ok := worst[g]; ok {
			verdict := "met"
			if w > 50*time.Millisecond {
				verdict = "NOT met"
			}
			fmt.Printf("worst p99 of %-9s %8s (target ≤ 50ms: %s)\n", g, w, verdict)
			figs = append(figs, figures.Goal("15 console", fmt.Sprintf("worst p99 of the %s operations, %s cases", groupName[g], short(*n)),
				w.Round(10*time.Microsecond).String(), "p99 ≤ 50 ms", w <= 50*time.Millisecond))
		}
	}
	figures.Emit(figs...)
	return nil
}

// groupName names a group of operations in the figures' table.
var groupName = map[string]string{"worklist": "worklist API", "/desk": "/desk page", "/board": "/board page", "board": "board API"}

// short is a case count as the table gives it: 20 k, 1 M.
func short(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%d M", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%d k", n/1000)
	}
	return fmt.Sprint(n)
}

// loadAvg is the machine's 1-minute load average ("?" where unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// deepCursors are keyset cursors of worklist and board pages far down the
// lists, in the form the pages' "next" links carry.
func deepCursors(ctx context.Context, pool *pgxpool.Pool) (worklist, board []string, err error) {
	for _, off := range []int{1_000, 10_000, 50_000, 100_000, 200_000} {
		var due time.Time
		var no string
		err := pool.QueryRow(ctx, `SELECT work_due_at, case_no FROM cases WHERE status = 'open' AND work_due_at <> 'infinity'
			ORDER BY work_due_at, case_no OFFSET $1 LIMIT 1`, off).Scan(&due, &no)
		if errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		raw, _ := json.Marshal(map[string]any{"d": due, "c": no})
		worklist = append(worklist, base64.RawURLEncoding.EncodeToString(raw))
		var rule string
		var seq int
		err = pool.QueryRow(ctx, `SELECT due_at, case_no, rule_id, seq FROM case_deadlines WHERE state IN ('pending', 'missed') AND case_open
			ORDER BY due_at, case_no, rule_id, seq OFFSET $1 LIMIT 1`, off).Scan(&due, &no, &rule, &seq)
		if err != nil {
			return nil, nil, err
		}
		raw, _ = json.Marshal(map[string]any{"d": due, "c": no, "r": rule, "s": seq})
		board = append(board, base64.RawURLEncoding.EncodeToString(raw))
	}
	if len(worklist) == 0 {
		return nil, nil, errors.New("too few open cases for deep pages")
	}
	return worklist, board, nil
}

// benchSession opens a console session for username.
func benchSession(ctx context.Context, pool *pgxpool.Pool, username string) (string, error) {
	_, tok, err := auth.New(pool, bcrypt.MinCost).Login(ctx, username, "bench-password")
	return tok.Value, err
}

// benchToken gives username (made with role if missing) a bearer token.
func benchToken(ctx context.Context, pool *pgxpool.Pool, username string, role auth.Role) (string, error) {
	svc := auth.New(pool, bcrypt.MinCost)
	a, err := svc.AccountByUsername(ctx, username)
	if errors.Is(err, auth.ErrNotFound) {
		a, err = svc.CreateAccount(ctx, audit.System, auth.NewAccount{Username: username, DisplayName: "bench",
			Password: "bench-password", Role: role})
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
		return ids, worklistColumns(ctx, pool)
	}
	for p := range providers {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, $2) RETURNING id`,
			fmt.Sprintf("board-%02d", p), fmt.Sprintf("测试提供单位 %d", p)).Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	// The tallies' triggers (migration 00096) are off while the rows are
	// copied; worklistColumns sums the tallies from the rows at the end,
	// as the migration does for the rows already there.
	for _, t := range []string{"cases DISABLE TRIGGER cases_worklist_tally", "case_deadlines DISABLE TRIGGER case_deadlines_board_tally",
		"case_deadlines DISABLE TRIGGER case_deadlines_provider_report_tally"} {
		if _, err := pool.Exec(ctx, "ALTER TABLE "+t); err != nil {
			return nil, err
		}
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
				case isOpen(i) && j == 2 && i%100 == 0:
					// paused, say: no open deadline
					due = today.AddDays(-3)
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
	if err := worklistColumns(ctx, pool); err != nil {
		return nil, err
	}
	// VACUUM sets the visibility map, so the report reads its covering index only.
	for _, t := range []string{"cases", "case_deadlines", "escalations", "case_assignments"} {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func caseNo(i int) string { return fmt.Sprintf("B%08d", i) }

// worklistColumns fills what the worklist reads and COPY leaves empty —
// the open cases' earliest open deadline (the work_* columns of migration
// 00095, computed by its trigger on a write of the case row: COPY wrote the
// cases before their deadlines) and who handles them (case_assignments,
// 20 caseworkers, six open cases in seven; cases.assignee_id of migration
// 00097) — in one pass over the open cases, and sums the tallies of
// migration 00096 from the rows, their triggers off meanwhile. A database
// seeded before is topped up.
func worklistColumns(ctx context.Context, pool *pgxpool.Pool) error {
	var open, placed, assigned, onRow int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE work_due_at <> 'infinity'),
		(SELECT count(*) FROM case_assignments), count(*) FILTER (WHERE assignee_id IS NOT NULL) FROM cases WHERE status = 'open'`).
		Scan(&open, &placed, &assigned, &onRow); err != nil {
		return err
	}
	if placed > 0 && assigned > 0 && onRow > 0 {
		return nil
	}
	exec := func(sql string, args ...any) error {
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(sql)[0:3], err)
		}
		return nil
	}
	for _, t := range []string{"cases DISABLE TRIGGER cases_worklist_tally", "case_deadlines DISABLE TRIGGER case_deadlines_board_tally",
		"case_deadlines DISABLE TRIGGER case_deadlines_provider_report_tally", "case_assignments DISABLE TRIGGER case_assignments_to_case"} {
		if err := exec("ALTER TABLE " + t); err != nil {
			return err
		}
	}
	if assigned == 0 {
		t0 := time.Now()
		svc := auth.New(pool, bcrypt.MinCost)
		var ids []int64
		for i := range caseworkers {
			name := fmt.Sprintf("bench-cw-%02d", i)
			a, err := svc.AccountByUsername(ctx, name)
			if errors.Is(err, auth.ErrNotFound) {
				a, err = svc.CreateAccount(ctx, audit.System, auth.NewAccount{Username: name, DisplayName: fmt.Sprintf("经办人 %02d", i),
					Password: "bench-password", Role: auth.Caseworker})
			}
			if err != nil {
				return err
			}
			ids = append(ids, a.ID)
		}
		if err := exec(`INSERT INTO case_assignments (case_no, account_id, how, assigned_by, assigned_at)
			SELECT case_no, ($1::bigint[])[1 + (substr(case_no, 2)::int / 10) % $2], 'took', 'bench', opened_at
			FROM cases WHERE status = 'open' AND substr(case_no, 2)::int % 7 <> 0`, ids, len(ids)); err != nil {
			return err
		}
		fmt.Printf("  open cases assigned to %d caseworkers in %s\n", len(ids), time.Since(t0).Round(time.Millisecond))
	}
	t0 := time.Now()
	if err := exec(`UPDATE cases c SET assignee_id = (SELECT a.account_id FROM case_assignments a WHERE a.case_no = c.case_no)
		WHERE status = 'open'`); err != nil {
		return err
	}
	fmt.Printf("  worklist columns and handlers of %d open cases filled in %s\n", open, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	for _, sql := range []string{
		`DELETE FROM worklist_tally`,
		`INSERT INTO worklist_tally SELECT kind, stage, profile_id, profile_version, work_party, work_due_at, count(*)
			FROM cases WHERE status = 'open' GROUP BY kind, stage, profile_id, profile_version, work_party, work_due_at`,
		`DELETE FROM board_tally`,
		`INSERT INTO board_tally SELECT case_kind, case_stage, case_profile, case_profile_version, party, due_at, count(*)
			FROM case_deadlines WHERE state IN ('pending', 'missed') AND case_open
			GROUP BY case_kind, case_stage, case_profile, case_profile_version, party, due_at`,
		`DELETE FROM provider_report_tally`,
		`INSERT INTO provider_report_tally SELECT due_at, party, rule_id,
			count(*) FILTER (WHERE provider_report_class(party, state, settled_at, due_at) = 'on_time'),
			count(*) FILTER (WHERE provider_report_class(party, state, settled_at, due_at) = 'late'),
			count(*) FILTER (WHERE provider_report_class(party, state, settled_at, due_at) = 'missed')
			FROM case_deadlines WHERE state IN ('met', 'missed') AND party LIKE 'provider:%' GROUP BY due_at, party, rule_id`,
		"ALTER TABLE cases ENABLE TRIGGER cases_worklist_tally",
		"ALTER TABLE case_deadlines ENABLE TRIGGER case_deadlines_provider_report_tally",
		"ALTER TABLE case_deadlines ENABLE TRIGGER case_deadlines_board_tally",
		"ALTER TABLE case_assignments ENABLE TRIGGER case_assignments_to_case",
		"VACUUM ANALYZE cases", "VACUUM ANALYZE case_assignments", "VACUUM ANALYZE worklist_tally", "VACUUM ANALYZE board_tally",
		"VACUUM ANALYZE provider_report_tally",
	} {
		if err := exec(sql); err != nil {
			return err
		}
	}
	fmt.Printf("  tallies summed in %s\n", time.Since(t0).Round(time.Millisecond))
	return nil
}
