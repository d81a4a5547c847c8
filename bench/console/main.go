// Command console measures the server time of the web console's pages with
// a full database: 1 M records of 100 k subjects and 100 k objection cases
// (each with its deadlines and events), seeded with COPY. Pages are served
// by the real console (web.Mount on Echo, in process, no network; the
// engine is not connected, so a case page shows the projection without the
// live state, as when the engine does not answer) and timed from request
// to the last byte; p50/p95/p99 per page.
//
//	go run ./bench/console                               # private cluster in a temp dir
//	go run ./bench/console -dir /tmp/ccconsole           # keep the cluster for reruns
//	DATABASE_URL=postgres://… go run ./bench/console
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/web"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const (
	perSubject = 10
	providers  = 10
	accounts   = 50 // subjects logged in for the office pages
)

func run() error {
	nRecords := flag.Int("records", 1_000_000, "records to hold")
	nCases := flag.Int("cases", 100_000, "objection cases to hold")
	requests := flag.Int("requests", 500, "requests per page")
	dir := flag.String("dir", "", "cluster directory to keep between runs (default: a temporary one)")
	only := flag.String("pages", "", "time only the pages whose name matches this regular expression")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed requests to this file")
	showQueries := flag.Bool("queries", false, "after each page, its SQL statements: how many per request and their time")
	flag.Parse()
	pageFilter, err := regexp.Compile(*only)
	if err != nil {
		return fmt.Errorf("-pages: %w", err)
	}
	ctx := context.Background()

	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		d := *dir
		if d == "" {
			tmp, err := os.MkdirTemp("/tmp", "creditcase-console-bench-")
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
		dbURL = pg.URL("bench")
	}
	pool, err := db.Open(ctx, dbURL)
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
	if err := seed(ctx, pool, *nRecords, *nCases); err != nil {
		return err
	}
	var recs, cases, deadlines int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM cases), (SELECT count(*) FROM case_deadlines)`).
		Scan(&recs, &cases, &deadlines); err != nil {
		return err
	}
	fmt.Printf("holding %d records, %d cases, %d deadlines — seeding took %s\n", recs, cases, deadlines, time.Since(start).Round(time.Millisecond))

	// The console's own pool, traced when -queries asks for it.
	tr := &tracer{stats: map[string]*queryStat{}}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	if *showQueries {
		cfg.ConnConfig.Tracer = tr
	}
	cpool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer cpool.Close()
	e := echo.New()
	if _, err := web.Mount(e, web.Deps{Pool: cpool, Logger: zerolog.Nop(), BcryptCost: bcrypt.MinCost}); err != nil {
		return err
	}
	sessions, err := logIns(ctx, pool)
	if err != nil {
		return err
	}
	rng := mrand.New(mrand.NewPCG(5, 6))
	get := func(path string, s *session) (time.Duration, error) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Language", "zh-CN")
		if s != nil {
			req.AddCookie(&http.Cookie{Name: "cc_session", Value: s.token})
			req.AddCookie(&http.Cookie{Name: "_csrf", Value: "bench"})
		}
		rec := httptest.NewRecorder()
		t0 := time.Now()
		e.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != http.StatusOK {
			return d, fmt.Errorf("%s: %d %s", path, rec.Code, truncate(rec.Body.String()))
		}
		if !strings.Contains(rec.Body.String(), "</html>") {
			return d, errors.New(path + ": not a whole page")
		}
		return d, nil
	}
	pick := func() *session { return &sessions[rng.IntN(len(sessions))] }
	pages := []struct {
		name string
		path func() (string, *session)
	}{
		{"home (public)", func() (string, *session) { return "/", nil }},
		{"log-in form", func() (string, *session) { return "/login", nil }},
		{"public lookup by name", func() (string, *session) {
			return "/public/records?q=" + url.QueryEscape(subjectName(rng.IntN(*nRecords/perSubject))), nil
		}},
		{"public lookup by identifier", func() (string, *session) {
			id, _ := subjectIdent(rng.IntN(*nRecords / perSubject))
			return "/public/records?q=" + id, nil
		}},
		{"public lookup, no match", func() (string, *session) { return "/public/records?q=" + url.QueryEscape("没有这个主体"), nil }},
		{"office home", func() (string, *session) { return "/my", pick() }},
		{"my records (10)", func() (string, *session) { return "/my/records", pick() }},
		{"my cases", func() (string, *session) { return "/my/cases", pick() }},
		{"case page", func() (string, *session) { s := pick(); return "/my/cases/" + s.caseNo, s }},
		{"case page, print view", func() (string, *session) { s := pick(); return "/my/cases/" + s.caseNo + "?print=1", s }},
		{"objection form", func() (string, *session) { s := pick(); return fmt.Sprintf("/my/records/%d/objection", s.recordID), s }},
		{"repair conditions", func() (string, *session) { s := pick(); return fmt.Sprintf("/my/records/%d/repair", s.recordID), s }},
		{"repair form", func() (string, *session) {
			s := pick()
			return fmt.Sprintf("/my/records/%d/repair/apply", s.recordID), s
		}},
	}
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
	fmt.Printf("%-30s %8s %8s %8s %8s\n", "page", "p50", "p95", "p99", "max")
	worst := time.Duration(0)
	for _, pg := range pages {
		if !pageFilter.MatchString(pg.name) {
			continue
		}
		lat := make([]time.Duration, 0, *requests)
		tr.reset()
		for i := 0; i < *requests+20; i++ {
			if i == 20 {
				tr.reset()
			}
			path, s := pg.path()
			d, err := get(path, s)
			if err != nil {
				return fmt.Errorf("%s: %w", pg.name, err)
			}
			if i >= 20 { // warm-up
				lat = append(lat, d)
			}
		}
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond) }
		fmt.Printf("%-30s %8s %8s %8s %8s\n", pg.name, q(.50), q(.95), q(.99), lat[len(lat)-1].Round(10*time.Microsecond))
		worst = max(worst, q(.99))
		if *showQueries {
			tr.print(*requests)
		}
	}
	fmt.Printf("worst page p99: %s (target ≤ 50ms)\n", worst)
	if worst > 50*time.Millisecond {
		return fmt.Errorf("a page's p99 is %s, over 50ms", worst)
	}
	return nil
}

// tracer counts the console's SQL statements and their time.
type tracer struct {
	mu    sync.Mutex
	stats map[string]*queryStat
}

type queryStat struct {
	n     int
	total time.Duration
	worst time.Duration
}

type traceKey struct{}

type traceStart struct {
	sql string
	at  time.Time
}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{sql: d.SQL, at: time.Now()})
}

func (t *tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	st, ok := ctx.Value(traceKey{}).(traceStart)
	if !ok {
		return
	}
	d := time.Since(st.at)
	key := strings.Join(strings.Fields(st.sql), " ")
	if len(key) > 90 {
		key = key[:90]
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	q := t.stats[key]
	if q == nil {
		q = &queryStat{}
		t.stats[key] = q
	}
	q.n++
	q.total += d
	q.worst = max(q.worst, d)
}

func (t *tracer) reset() {
	t.mu.Lock()
	t.stats = map[string]*queryStat{}
	t.mu.Unlock()
}

// print lists the statements of requests requests, the costliest first.
func (t *tracer) print(requests int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]string, 0, len(t.stats))
	for k := range t.stats {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return int(t.stats[b].total - t.stats[a].total) })
	for _, k := range keys {
		q := t.stats[k]
		fmt.Printf("    %5.2f/req  mean %8s  max %8s  %s\n", float64(q.n)/float64(requests),
			(q.total / time.Duration(q.n)).Round(time.Microsecond), q.worst.Round(time.Microsecond), k)
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

type session struct {
	token    string
	caseNo   string
	recordID int64
}

// logIns gives the first subjects (each with records and a case) accounts
// and console sessions.
func logIns(ctx context.Context, pool *pgxpool.Pool) ([]session, error) {
	svc := auth.New(pool, bcrypt.MinCost)
	rows, err := pool.Query(ctx, `SELECT c.subject_id, c.case_no, c.record_id FROM cases c WHERE c.case_no LIKE 'YY-2020-%' ORDER BY c.case_no LIMIT $1`, accounts)
	if err != nil {
		return nil, err
	}
	type subj struct {
		id       int64
		caseNo   string
		recordID int64
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (subj, error) {
		var s subj
		return s, r.Scan(&s.id, &s.caseNo, &s.recordID)
	})
	if err != nil {
		return nil, err
	}
	out := make([]session, 0, len(subs))
	for i, s := range subs {
		username := fmt.Sprintf("bench-subject-%d", i)
		pw := make([]byte, 12)
		_, _ = rand.Read(pw)
		password := "Bench-" + hex.EncodeToString(pw)
		_, err := svc.CreateAccount(ctx, audit.Actor{Username: "bench", Role: "admin"}, auth.NewAccount{
			Username: username, DisplayName: username, Password: password, Role: auth.Subject, SubjectID: s.id})
		a, aerr := svc.AccountByUsername(ctx, username) // made by a previous run (-dir)
		if aerr != nil {
			if err != nil {
				return nil, fmt.Errorf("account %s: %w", username, err)
			}
			return nil, aerr
		}
		tok, err := svc.OpenSession(ctx, a, "bench")
		if err != nil {
			return nil, err
		}
		out = append(out, session{token: tok.Value, caseNo: s.caseNo, recordID: s.recordID})
	}
	return out, nil
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

var stages = []string{"acceptance", "centre_check", "provider_verification", "deciding", "closed", "finished"}

// seed fills an empty database: providers, subjects (perSubject records
// each), records, and nCases objection cases on the first record of the
// first subjects, with three deadlines and four events each.
func seed(ctx context.Context, pool *pgxpool.Pool, nRecords, nCases int) error {
	var have int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM records`).Scan(&have); err != nil {
		return err
	}
	if have > 0 {
		if have != nRecords {
			return fmt.Errorf("the database holds %d records, not %d: use a fresh -dir", have, nRecords)
		}
		return nil
	}
	var provIDs []int64
	for p := range providers {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, $2) RETURNING id`,
			fmt.Sprintf("console-%02d", p), fmt.Sprintf("测试提供单位 %d", p)).Scan(&id); err != nil {
			return err
		}
		provIDs = append(provIDs, id)
	}
	subjects := nRecords / perSubject
	t0 := time.Now()
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"subjects"}, []string{"kind", "ident", "name"},
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
		}())); err != nil {
		return fmt.Errorf("copy subjects: %w", err)
	}
	var firstSubject int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM subjects`).Scan(&firstSubject); err != nil {
		return err
	}
	cats := []string{"negative", "basic", "positive", "negative", "negative", "other"}
	sevs := []string{"minor", "general", "serious"}
	discl := []string{"public", "public", "government", "authorised"}
	today := time.Now()
	// Record i belongs to subject i/perSubject: a subject's records are
	// neighbours, and its first record is negative.
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"records"},
		[]string{"subject_id", "provider_id", "category", "severity", "disclosure", "title", "content", "decision_no", "decided_on", "disclosure_end", "period_rule", "profile_id"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= nRecords {
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
				row := []any{firstSubject + int64(i/perSubject), provIDs[i%len(provIDs)], cat, sev, discl[(i/3)%len(discl)],
					"测试记录 " + strings.Repeat("信", 8), "内容", fmt.Sprintf("CONSOLE-%d", i), decided, end, rule, "nantong"}
				i++
				return row, nil
			}
		}())); err != nil {
		return fmt.Errorf("copy records: %w", err)
	}
	fmt.Printf("  subjects and records copied in %s\n", time.Since(t0).Round(time.Millisecond))
	var firstRecord int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM records`).Scan(&firstRecord); err != nil {
		return err
	}
	t0 = time.Now()
	now := time.Now()
	isOpen := func(i int) bool { return i%10 < 3 || i < accounts }
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"cases"},
		[]string{"case_no", "kind", "workflow_id", "record_id", "subject_id", "provider_id", "profile_id", "profile_version",
			"stage", "status", "opened_at", "closed_at"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= nCases {
					return nil, nil
				}
				st := stages[i%len(stages)]
				status, closed := "closed", any(now.Add(-time.Duration(i%300)*24*time.Hour))
				if isOpen(i) {
					status, closed = "open", nil
					st = stages[i%4]
				}
				opened := now.Add(-time.Duration(i%300+20) * 24 * time.Hour)
				row := []any{caseNo(i), "objection", "bench:" + caseNo(i), firstRecord + int64(i*perSubject), firstSubject + int64(i),
					provIDs[(i*perSubject)%len(provIDs)], "nantong", "bench", st, status, opened, closed}
				i++
				return row, nil
			}
		}())); err != nil {
		return fmt.Errorf("copy cases: %w", err)
	}
	today0 := calendar.DateOf(now)
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"case_deadlines"},
		[]string{"case_no", "rule_id", "seq", "party", "starts_at", "start_date", "n", "unit", "due_date", "due_at",
			"calendar_version", "explanation", "source", "state", "settled_at"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i, j := 0, 0
			rules := []string{"objection.centre_check", "objection.provider_reply", "objection.overall"}
			return func() ([]any, error) {
				if i >= nCases {
					return nil, nil
				}
				party := []string{"centre", fmt.Sprintf("provider:%d", provIDs[0]), "centre"}[j]
				length := []int{3, 5, 10}[j]
				due := today0.AddDays(-(i % 300) + j*3)
				state, settled := "met", any(due.Start())
				if isOpen(i) {
					due = today0.AddDays(i%20 - 3 + j)
					state, settled = "pending", nil
				}
				start := due.AddDays(-length - 2)
				row := []any{caseNo(i), rules[j], 1, party, start.Start(), start.Start(), length, "wd", due.Start(), due.End(),
					"2026", "跳过 10/01–10/08 国庆；计入 09/28（周日）调休上班", "南通市公共信用信息管理办法第三十二条", state, settled}
				if j++; j == 3 {
					j = 0
					i++
				}
				return row, nil
			}
		}())); err != nil {
		return fmt.Errorf("copy deadlines: %w", err)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"case_events"},
		[]string{"case_no", "seq", "at", "actor", "role", "action", "reason", "data"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i, j := 0, 0
			actions := []string{"objection.filed", "record.labelled", "objection.accepted", "objection.forwarded"}
			return func() ([]any, error) {
				if i >= nCases {
					return nil, nil
				}
				row := []any{caseNo(i), j + 1, now.Add(-time.Duration(i%300+20-j) * 24 * time.Hour), "bench", "caseworker", actions[j], "", "{}"}
				if j++; j == len(actions) {
					j = 0
					i++
				}
				return row, nil
			}
		}())); err != nil {
		return fmt.Errorf("copy events: %w", err)
	}
	fmt.Printf("  cases, deadlines and events copied in %s\n", time.Since(t0).Round(time.Millisecond))
	for _, t := range []string{"subjects", "records", "cases", "case_deadlines", "case_events"} {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return err
		}
	}
	return nil
}

// caseNo numbers the bench's cases in the objection series of 2020.
func caseNo(i int) string { return fmt.Sprintf("YY-2020-%06d", i+1) }
