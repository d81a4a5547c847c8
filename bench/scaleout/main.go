// Command scaleout rehearses creditcase's production layout on this machine,
// every role a separate process, and checks what a centre relies on when it
// scales out, loses a machine and upgrades:
//
//   - a private PostgreSQL; one `creditcase engine` (the Temporal server
//     alone) on it; `creditcase migrate up`; 2 × `creditcase api`;
//     `creditcase worker` processes as each phase needs them;
//   - clients drive objection cases through the HTTP API only, spreading
//     their requests over both APIs: the subject files, the caseworker
//     accepts and forwards, the provider replies, the caseworker decides;
//   - throughput: the same load with 1 worker, then with 2;
//   - kill: mid-run, one worker and one API are killed with SIGKILL; clients
//     move to the other API (as a load balancer would) and retry what was
//     in flight; afterwards both are started again;
//   - upgrade: cases are opened and taken half-way on the v1 workers; the
//     workers are replaced one by one with a build carrying a versioned
//     change (ChangeUpgradeDrill, build tag upgradedrill); the old cases
//     finish on the old branch, new cases take the new one.
//
// Then it checks in PostgreSQL that every case reached the stage its last
// answer reported, exactly once: one case per filed record, and per case the
// same events, letters, deadline rows, notifications and outbox rows as a
// case that ran undisturbed — nothing missing, nothing twice.
//
//	go run ./bench/scaleout               # -n 40 -c 8
//	go run ./bench/scaleout -n 200 -c 16  # a longer run
//
// It must run from the module root (it builds ./cmd/creditcase). Ports:
// Temporal in 24000–24999, HTTP 18084–18089.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/bench/internal/procs"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/seed"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scaleout:", err)
		os.Exit(1)
	}
}

type options struct {
	n, conc, drill int
	keep           bool
}

func run() error {
	var o options
	flag.IntVar(&o.n, "n", 40, "cases per measured phase (1 worker, 2 workers, kill)")
	flag.IntVar(&o.conc, "c", 8, "concurrent clients")
	flag.IntVar(&o.drill, "drill", 8, "cases opened before and after the upgrade")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory (logs, database) after the run")
	timeout := flag.Duration("timeout", 20*time.Minute, "bound on the whole run")
	scenario := flag.String("scenario", "all", "roles (1 engine, 2 APIs, workers, kill -9, upgrade), cluster (2 engine nodes, kill -9 one) or all")
	flag.Parse()
	if *scenario != "all" && *scenario != "roles" && *scenario != "cluster" {
		return errors.New("-scenario: want roles, cluster or all")
	}
	if o.n < 3 || o.conc < 1 || o.drill < 1 {
		return errors.New("-n must be at least 3, -c and -drill at least 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	dir, err := os.MkdirTemp("/tmp", "creditcase-scaleout-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "working directory kept:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	// World-traversable: PostgreSQL runs as the postgres user when started as root.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	say("building v1, and v2 with -tags upgradedrill")
	v1, v2 := filepath.Join(dir, "creditcase-v1"), filepath.Join(dir, "creditcase-v2")
	if err := procs.Build(ctx, v1); err != nil {
		return err
	}
	if *scenario != "cluster" {
		if err := procs.Build(ctx, v2, "upgradedrill"); err != nil {
			return err
		}
		r := &rehearsal{o: o, dir: filepath.Join(dir, "roles"), v1: v1, v2: v2, engineIPs: []string{"127.0.0.1"}}
		err := r.run(ctx)
		r.stopAll()
		if err != nil {
			return fmt.Errorf("roles: %w", err)
		}
	}
	if *scenario != "roles" {
		r := &rehearsal{o: o, dir: filepath.Join(dir, "cluster"), v1: v1, engineIPs: []string{"127.0.0.2", "127.0.0.3"}}
		err := r.runCluster(ctx)
		r.stopAll()
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
	}
	return nil
}

type rehearsal struct {
	o      options
	dir    string
	v1, v2 string // binaries
	pg     *pgcluster.Cluster
	pool   *pgxpool.Pool
	env    []string // DATABASE_URL and TEMPORAL_ADDRESS for the roles
	// engineIPs: one engine process on each (loopback) address.
	engineIPs []string
	engines   []*procs.Proc
	frontend  string // the frontend the roles use
	apis      []*node
	workers   map[string]*procs.Proc
	httpPort  []int
	cl        *client
	records   []int64
	next      int // next unused record
}

func (r *rehearsal) stopAll() {
	for _, w := range r.workers {
		_ = w.Stop(20 * time.Second)
	}
	for _, a := range r.apis {
		if a.proc != nil {
			_ = a.proc.Stop(20 * time.Second)
		}
	}
	for _, e := range r.engines {
		_ = e.Stop(30 * time.Second)
	}
	if r.pool != nil {
		r.pool.Close()
	}
	if r.pg != nil {
		r.pg.Stop()
	}
}

func (r *rehearsal) run(ctx context.Context) error {
	if err := os.Mkdir(r.dir, 0o755); err != nil {
		return err
	}
	if err := r.startBackbone(ctx); err != nil {
		return err
	}
	if err := r.startAPIs(ctx); err != nil {
		return err
	}
	if err := r.startWorker(ctx, "worker-1", r.v1, r.httpPort[2]); err != nil {
		return err
	}
	if err := r.setUpCentre(ctx); err != nil {
		return err
	}

	// Warm-up, then the same load with one worker and with two.
	if _, err := r.phase(ctx, "warm-up", min(4, r.o.n), nil); err != nil {
		return err
	}
	one, err := r.phase(ctx, "1 worker", r.o.n, nil)
	if err != nil {
		return err
	}
	if err := r.startWorker(ctx, "worker-2", r.v1, r.httpPort[3]); err != nil {
		return err
	}
	two, err := r.phase(ctx, "2 workers", r.o.n, nil)
	if err != nil {
		return err
	}

	// Kill -9 one worker and one API once a third of the calls are answered.
	var killedAt time.Duration
	killed, err := r.phase(ctx, "kill -9", r.o.n, func(answered int, since time.Duration) bool {
		if answered < r.o.n*(1+len(firstHalf)+len(secondHalf))/3 {
			return false
		}
		killedAt = since
		say(fmt.Sprintf("kill -9 worker-1 (pid %d) and api-1 (pid %d) after %d answered calls", r.workers["worker-1"].PID(), r.apis[0].proc.PID(), answered))
		r.workers["worker-1"].Kill9()
		r.apis[0].proc.Kill9()
		return true
	})
	if err != nil {
		return err
	}
	if killedAt == 0 {
		return errors.New("the kill never happened")
	}
	// Both come back, as an orchestrator would restart them.
	delete(r.workers, "worker-1")
	if err := r.startWorker(ctx, "worker-1", r.v1, r.httpPort[2]); err != nil {
		return err
	}
	if err := r.restartAPI(ctx, 0); err != nil {
		return err
	}

	old, fresh, err := r.upgrade(ctx)
	if err != nil {
		return err
	}

	say("checking every case in PostgreSQL")
	baseline, err := r.verify(ctx, append(append(one.cases, two.cases...), killed.cases...), old, fresh)
	if err != nil {
		return err
	}

	fmt.Printf("\nscale-out rehearsal: 1 engine, 2 APIs, workers as below; %d clients; each case = 7 HTTP calls (file, accept, forward, provider reply, decide, appeal, appeal decision)\n", r.o.conc)
	fmt.Printf("%-34s %6s %10s %10s %9s %9s\n", "phase", "cases", "cases/s", "calls/s", "p50", "p95")
	for _, p := range []*phaseResult{one, two, killed} {
		fmt.Printf("%-34s %6d %10.2f %10.1f %9s %9s\n", p.name, len(p.cases), p.rate(), p.callRate(), p.pct(50), p.pct(95))
	}
	fmt.Printf("throughput 2 workers / 1 worker: %.2f\n", two.rate()/one.rate())
	fmt.Printf("kill -9: worker-1 and api-1 killed %.1fs into the phase; %d calls hit the dead API and were retried on the other; %d answers were ambiguous and resolved by reading the case back\n",
		killedAt.Seconds(), killed.failovers, killed.ambiguous)
	fmt.Printf("upgrade: %d cases opened on v1 finished on v2 workers on the old branch; %d opened on v2 took the new branch\n", len(old), len(fresh))
	fmt.Printf("checked %d cases: each at the stage its last answer reported (finished, outcome upheld, appeal dismissed), one case per record; per case exactly: %s\n", len(one.cases)+len(two.cases)+len(killed.cases)+len(old)+len(fresh), baseline)
	if !strings.Contains(baseline, "outbox ") {
		fmt.Println("record_outbox: no rows for these records (the objection procedure, outcome upheld, sends none); a duplicate would have shown")
	}
	fmt.Println("PASS")
	return nil
}

// startBackbone starts PostgreSQL, the engine, and migrates.
func (r *rehearsal) startBackbone(ctx context.Context) error {
	var err error
	r.pg, err = pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(r.dir, "pg")})
	if err != nil {
		return err
	}
	if err := pgcluster.CreateDatabase(ctx, r.pg.URL("postgres"), "creditcase"); err != nil {
		return err
	}
	port, err := procs.TemporalPort(24300, 24990, r.engineIPs...)
	if err != nil {
		return err
	}
	r.httpPort, err = procs.HTTPPorts(6, 18084, 18085, 18086, 18087, 18088, 18089)
	if err != nil {
		return err
	}
	// One engine process per address, one after the other: each later node
	// joins the cluster the earlier ones formed in PostgreSQL.
	for i, ip := range r.engineIPs {
		name := fmt.Sprintf("engine-%d", i+1)
		say(fmt.Sprintf("creditcase engine %s on %s:%d (PostgreSQL %d)", name, ip, port, r.pg.Port()))
		e, err := procs.Start(r.dir, name, r.v1, []string{
			"DATABASE_URL=" + r.pg.URL("postgres"), "TEMPORAL_BIND_IP=" + ip, fmt.Sprintf("TEMPORAL_PORT=%d", port),
			"TEMPORAL_UI_PORT=0", "LOG_LEVEL=warn", "TEMPORAL_LOG_LEVEL=error",
		}, "engine")
		if err != nil {
			return err
		}
		r.engines = append(r.engines, e)
		if err := e.WaitLog(ctx, "engine ready"); err != nil {
			return err
		}
	}
	// The roles talk to the last node.
	r.frontend = fmt.Sprintf("%s:%d", r.engineIPs[len(r.engineIPs)-1], port)
	r.env = []string{"DATABASE_URL=" + r.pg.URL("creditcase"), "TEMPORAL_ADDRESS=" + r.frontend,
		"LOG_LEVEL=warn", "LOG_FORMAT=json"}
	out, err := procs.Run(ctx, r.v1, r.env, "migrate", "up")
	if err != nil {
		return err
	}
	say("creditcase migrate up: " + strings.TrimSpace(out))
	r.pool, err = db.Open(ctx, r.pg.URL("creditcase"))
	return err
}

func (r *rehearsal) startAPIs(ctx context.Context) error {
	r.workers = map[string]*procs.Proc{}
	for i := range 2 {
		r.apis = append(r.apis, &node{name: fmt.Sprintf("api-%d", i+1), base: fmt.Sprintf("http://127.0.0.1:%d", r.httpPort[i])})
		if err := r.restartAPI(ctx, i); err != nil {
			return err
		}
	}
	r.cl = &client{nodes: r.apis, hc: &http.Client{Timeout: 90 * time.Second}}
	return nil
}

func (r *rehearsal) restartAPI(ctx context.Context, i int) error {
	n := r.apis[i]
	p, err := procs.Start(r.dir, n.name, r.v1, append(slices.Clone(r.env), "HTTP_ADDR="+strings.TrimPrefix(n.base, "http://")), "api")
	if err != nil {
		return err
	}
	if err := p.WaitReady(ctx, n.base+"/readyz"); err != nil {
		return err
	}
	n.mu.Lock()
	n.proc = p
	n.mu.Unlock()
	say(fmt.Sprintf("%s serving on %s (pid %d)", n.name, n.base, p.PID()))
	return nil
}

func (r *rehearsal) startWorker(ctx context.Context, name, bin string, port int) error {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := procs.Start(r.dir, name, bin, append(slices.Clone(r.env), "HTTP_ADDR="+addr), "worker")
	if err != nil {
		return err
	}
	if err := p.WaitReady(ctx, "http://"+addr+"/readyz"); err != nil {
		return err
	}
	r.workers[name] = p
	say(fmt.Sprintf("%s (%s) polling (pid %d)", name, filepath.Base(bin), p.PID()))
	return nil
}

// setUpCentre seeds the demo centre (accounts, providers, subjects), logs
// the parties in and has the provider file one record per case to come.
func (r *rehearsal) setUpCentre(ctx context.Context) error {
	if _, err := seed.Demo(ctx, r.pool); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	c := r.cl
	var err error
	for _, u := range []string{"subject", "caseworker", "provider", "supervisor"} {
		if c.accounts == nil {
			c.accounts = map[string]account{}
		}
		if c.accounts[u], err = c.login(ctx, u); err != nil {
			return err
		}
	}
	total := 4 + 3*r.o.n + 2*r.o.drill
	say(fmt.Sprintf("the provider files %d records for the demo subject through the API", total))
	r.records = make([]int64, total)
	errs := make(chan error, total)
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.o.conc)
	today := time.Now().In(shanghai).AddDate(0, 0, -10).Format("2006-01-02")
	for i := range total {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			body := map[string]any{
				"subject_id": c.accounts["subject"].SubjectID, "category": "other", "disclosure": "authorised",
				"title": "扩容演练记录", "content": fmt.Sprintf("第 %d 条", i+1),
				"decision_no": fmt.Sprintf("演练〔%d〕%d号", time.Now().Year(), i+1), "decided_on": today,
			}
			res := c.call(ctx, "provider", http.MethodPost, "/api/v1/records", body)
			if res.err != nil || res.status != http.StatusCreated {
				errs <- fmt.Errorf("record %d: %d %v %s", i, res.status, res.err, res.body)
				return
			}
			var rec struct {
				ID int64 `json:"id"`
			}
			if err := json.Unmarshal(res.body, &rec); err != nil || rec.ID == 0 {
				errs <- fmt.Errorf("record %d: %s", i, res.body)
				return
			}
			r.records[i] = rec.ID
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// The procedure each case follows after filing, with the stage each answer
// must report.
type step struct {
	user, action string
	body         any
	after        string
}

var (
	firstHalf = []step{
		{"caseworker", "accept", nil, "centre_check"},
		{"caseworker", "forward-to-provider", map[string]string{"note": "请核实该记录"}, "provider_verification"},
	}
	secondHalf = []step{
		{"provider", "provider-reply", map[string]string{"finding": "accurate", "reasons": "经核对原始文件，记录准确"}, "deciding"},
		{"caseworker", "decide", map[string]string{"outcome": "upheld", "reasons": "经信息提供单位核实，记录准确，予以维持"}, "closed"},
		// The appeal tells the supervisors (a notification row).
		{"subject", "appeal", map[string]string{"grounds": "不服异议处理结果，请求复查"}, "appeal"},
		{"supervisor", "decide-appeal", map[string]string{"decision": "upheld", "reasons": "原处理结果并无不当，予以维持"}, "finished"},
	}
	stageOrder = []string{"acceptance", "centre_check", "provider_verification", "deciding", "closed", "appeal", "finished"}
)

// caseRun is one case as the client saw it.
type caseRun struct {
	record int64
	caseNo string
	stage  string // stage reported by the last answer
	calls  []time.Duration
}

type phaseResult struct {
	name      string
	start     time.Time
	cases     []*caseRun
	elapsed   time.Duration
	failovers int64
	ambiguous int64
}

func (p *phaseResult) rate() float64 { return float64(len(p.cases)) / p.elapsed.Seconds() }
func (p *phaseResult) callRate() float64 {
	var n int
	for _, c := range p.cases {
		n += len(c.calls)
	}
	return float64(n) / p.elapsed.Seconds()
}
func (p *phaseResult) pct(q int) time.Duration {
	var all []time.Duration
	for _, c := range p.cases {
		all = append(all, c.calls...)
	}
	slices.Sort(all)
	i := (len(all)*q + 99) / 100
	return all[max(0, min(len(all), i)-1)].Round(time.Millisecond)
}

// phase runs n cases from start to the appeal decision with the configured
// number of clients. hook, when given, is called after each answered call
// with the number answered so far, until it returns true.
func (r *rehearsal) phase(ctx context.Context, name string, n int, hook func(answered int, since time.Duration) bool) (*phaseResult, error) {
	recs := r.take(n)
	say(fmt.Sprintf("phase %s: %d cases", name, n))
	res, err := r.drive(ctx, name, recs, nil, append(slices.Clone(firstHalf), secondHalf...), hook)
	if err != nil {
		return nil, fmt.Errorf("phase %s: %w", name, err)
	}
	return res, nil
}

func (r *rehearsal) take(n int) []int64 {
	out := r.records[r.next : r.next+n]
	r.next += n
	return out
}

// drive files a case on each record (or continues the given cases) and takes
// it through steps, from r.o.conc clients.
func (r *rehearsal) drive(ctx context.Context, name string, recs []int64, cont []*caseRun, steps []step, hook func(int, time.Duration) bool) (*phaseResult, error) {
	c := r.cl
	before := c.stats()
	todo := cont
	if todo == nil {
		for _, rec := range recs {
			todo = append(todo, &caseRun{record: rec})
		}
	}
	jobs := make(chan *caseRun)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	var answered atomic.Int64
	hookDone := hook == nil
	start := time.Now()
	tick := func() {
		a := int(answered.Add(1))
		mu.Lock()
		defer mu.Unlock()
		if !hookDone {
			hookDone = hook(a, time.Since(start))
		}
	}
	for range r.o.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cr := range jobs {
				err := func() error {
					if cr.caseNo == "" {
						if err := c.file(ctx, cr); err != nil {
							return err
						}
						tick()
					}
					for _, s := range steps {
						if err := c.step(ctx, cr, s); err != nil {
							return err
						}
						tick()
					}
					return nil
				}()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, cr := range todo {
		jobs <- cr
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	after := c.stats()
	return &phaseResult{name: name, start: start, cases: todo, elapsed: time.Since(start),
		failovers: after.failovers - before.failovers, ambiguous: after.ambiguous - before.ambiguous}, nil
}

// upgrade opens cases on the v1 workers and takes them half-way, replaces
// the workers one by one with the v2 build, finishes those cases and runs
// new ones.
func (r *rehearsal) upgrade(ctx context.Context) (old, fresh []*caseRun, err error) {
	say(fmt.Sprintf("upgrade: %d cases opened and forwarded on the v1 workers", r.o.drill))
	half, err := r.drive(ctx, "upgrade: open on v1", r.take(r.o.drill), nil, firstHalf, nil)
	if err != nil {
		return nil, nil, err
	}
	// Rolling replacement: a v2 worker joins, a v1 worker leaves (SIGTERM:
	// it finishes its tasks), and again.
	for i, name := range []string{"worker-1", "worker-2"} {
		v2 := fmt.Sprintf("worker-v2-%d", i+1)
		if err := r.startWorker(ctx, v2, r.v2, r.httpPort[4+i]); err != nil {
			return nil, nil, err
		}
		if err := r.workers[name].Stop(60 * time.Second); err != nil {
			return nil, nil, err
		}
		delete(r.workers, name)
		say(name + " (v1) stopped")
	}
	say("upgrade: the old cases finish on the v2 workers; new cases run on them")
	if _, err := r.drive(ctx, "upgrade: finish on v2", nil, half.cases, secondHalf, nil); err != nil {
		return nil, nil, err
	}
	newer, err := r.drive(ctx, "upgrade: new on v2", r.take(r.o.drill), nil, append(slices.Clone(firstHalf), secondHalf...), nil)
	if err != nil {
		return nil, nil, err
	}
	return half.cases, newer.cases, nil
}

// verify checks PostgreSQL against what the clients were told and returns
// the per-case footprint of an undisturbed case.
func (r *rehearsal) verify(ctx context.Context, measured, old, fresh []*caseRun) (string, error) {
	all := slices.Concat(measured, old, fresh)
	nos := make([]string, len(all))
	recs := make([]int64, len(all))
	for i, c := range all {
		nos[i], recs[i] = c.caseNo, c.record
	}
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }

	// One case per filed record: no retry opened a second one.
	rows, err := r.pool.Query(ctx, `SELECT record_id, count(*) FROM cases WHERE record_id = ANY($1) GROUP BY record_id`, recs)
	if err != nil {
		return "", err
	}
	perRecord := map[int64]int{}
	for rows.Next() {
		var rec int64
		var n int
		if err := rows.Scan(&rec, &n); err != nil {
			return "", err
		}
		perRecord[rec] = n
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, c := range all {
		if perRecord[c.record] != 1 {
			bad("record %d has %d cases, want 1", c.record, perRecord[c.record])
		}
	}

	// Each case where its last answer said, under the record it was filed on.
	type row struct {
		record                 int64
		stage, status, outcome string
	}
	got := map[string]row{}
	rows, err = r.pool.Query(ctx, `SELECT case_no, record_id, stage, status, outcome FROM cases WHERE case_no = ANY($1)`, nos)
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var no string
		var w row
		if err := rows.Scan(&no, &w.record, &w.stage, &w.status, &w.outcome); err != nil {
			return "", err
		}
		got[no] = w
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, c := range all {
		w, ok := got[c.caseNo]
		switch {
		case !ok:
			bad("case %s answered to the client is not in the database", c.caseNo)
		case w.record != c.record:
			bad("case %s is on record %d, the client filed on %d", c.caseNo, w.record, c.record)
		case w.stage != c.stage || w.stage != "finished" || w.status != "closed" || w.outcome != "upheld":
			bad("case %s: database %s/%s/%s, the client was told %s", c.caseNo, w.stage, w.status, w.outcome, c.stage)
		}
	}

	// Footprints: what each case left in every table, counted.
	fp, err := r.footprints(ctx, nos, recs)
	if err != nil {
		return "", err
	}
	const drillEvent = "event objection.upgrade_drill"
	baseline := fp[measured[0].caseNo]
	for _, c := range slices.Concat(measured, old) {
		if f := fp[c.caseNo]; f.String() != baseline.String() {
			bad("case %s footprint differs from an undisturbed case:\n  got  %s\n  want %s", c.caseNo, f, baseline)
		}
	}
	for _, c := range fresh {
		f := fp[c.caseNo]
		if f[drillEvent] != 1 {
			bad("case %s opened on v2 has %d %q, want 1 (new branch)", c.caseNo, f[drillEvent], drillEvent)
		}
		delete(f, drillEvent)
		if f.String() != baseline.String() {
			bad("case %s (v2) footprint differs:\n  got  %s\n  want %s", c.caseNo, f, baseline)
		}
	}
	for k, n := range baseline {
		if n != 1 && !strings.HasPrefix(k, "notification ") {
			bad("an undisturbed case has %d × %s, want 1", n, k)
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	return baseline.String(), nil
}

// footprint counts one case's rows by kind: events by action, letters by
// kind, deadline rows by rule, notifications by kind and party, outbox rows
// of its record by event.
type footprint map[string]int

func (f footprint) String() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, f[k])
	}
	return strings.Join(parts, ", ")
}

func (r *rehearsal) footprints(ctx context.Context, nos []string, recs []int64) (map[string]footprint, error) {
	byCase := map[string]footprint{}
	byRecord := map[int64]string{}
	for i, no := range nos {
		byCase[no] = footprint{}
		byRecord[recs[i]] = no
	}
	queries := []string{
		`SELECT case_no, 'event ' || action, count(*) FROM case_events WHERE case_no = ANY($1) GROUP BY 1, 2`,
		`SELECT case_ref, 'letter ' || kind, count(*) FROM case_documents WHERE case_ref = ANY($1) GROUP BY 1, 2`,
		`SELECT case_no, 'deadline ' || rule_id, count(*) FROM case_deadlines WHERE case_no = ANY($1) GROUP BY 1, 2`,
		`SELECT case_no, 'notification ' || kind || '→' || party, count(*) FROM notifications WHERE case_no = ANY($1) GROUP BY 1, 2`,
	}
	for _, q := range queries {
		rows, err := r.pool.Query(ctx, q, nos)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var no, key string
			var n int
			if err := rows.Scan(&no, &key, &n); err != nil {
				return nil, err
			}
			byCase[no][key] = n
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	rows, err := r.pool.Query(ctx, `SELECT record_id, 'outbox ' || event, count(*) FROM record_outbox WHERE record_id = ANY($1) GROUP BY 1, 2`, recs)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var rec int64
		var key string
		var n int
		if err := rows.Scan(&rec, &key, &n); err != nil {
			return nil, err
		}
		byCase[byRecord[rec]][key] = n
	}
	return byCase, rows.Err()
}

// node is one API process behind the clients' "load balancer".
type node struct {
	name string
	base string
	mu   sync.Mutex
	proc *procs.Proc
}

func (n *node) alive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil {
		return false
	}
	select {
	case <-n.proc.Exited():
		return false
	default:
		return true
	}
}

type account struct {
	token     string
	SubjectID int64
}

// client spreads requests round-robin over the live APIs, as a load
// balancer does, and retries a call whose API went away on another.
type client struct {
	nodes     []*node
	hc        *http.Client
	rr        atomic.Uint64
	accounts  map[string]account
	failovers atomic.Int64
	ambiguous atomic.Int64
}

type counters struct{ failovers, ambiguous int64 }

func (c *client) stats() counters {
	return counters{c.failovers.Load(), c.ambiguous.Load()}
}

type result struct {
	status int
	body   []byte
	err    error
	// sent: the request may have reached the API and been acted on, but
	// no answer came back (the API died mid-call).
	sent bool
}

func (c *client) pick() *node {
	for range 2 * len(c.nodes) {
		n := c.nodes[int(c.rr.Add(1))%len(c.nodes)]
		if n.alive() {
			return n
		}
	}
	return nil
}

// call sends one request to one API.
func (c *client) call(ctx context.Context, user, method, path string, body any) result {
	n := c.pick()
	if n == nil {
		return result{err: errors.New("no API alive")}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return result{err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, n.base+path, rd)
	if err != nil {
		return result{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a, ok := c.accounts[user]; ok {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{err: fmt.Errorf("%s %s on %s: %w", method, path, n.name, err), sent: !errors.Is(err, syscall.ECONNREFUSED)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{err: err, sent: true}
	}
	return result{status: resp.StatusCode, body: data}
}

func (c *client) login(ctx context.Context, user string) (account, error) {
	res := c.call(ctx, "", http.MethodPost, "/api/v1/auth/login", map[string]string{
		"username": user, "password": seed.DemoPassword, "kind": "bearer", "label": "scaleout"})
	if res.err != nil || res.status != http.StatusOK {
		return account{}, fmt.Errorf("log-in %s: %d %v %s", user, res.status, res.err, res.body)
	}
	var lr struct {
		Token   string `json:"token"`
		Account struct {
			SubjectID int64 `json:"subject_id"`
		} `json:"account"`
	}
	if err := json.Unmarshal(res.body, &lr); err != nil {
		return account{}, err
	}
	return account{token: lr.Token, SubjectID: lr.Account.SubjectID}, nil
}

const attempts = 20

// retryable says whether a call must be tried again: no answer, or the
// API could not reach the engine or the database.
func (c *client) retryable(res result) bool {
	if res.err != nil {
		c.failovers.Add(1)
		return true
	}
	return res.status == http.StatusBadGateway || res.status == http.StatusServiceUnavailable || res.status == http.StatusGatewayTimeout
}

func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(300 * time.Millisecond):
	}
}

// file files the objection. After an unanswered attempt, a refusal that an
// objection on the record is already open means the attempt went through:
// the client finds that case by its record.
func (c *client) file(ctx context.Context, cr *caseRun) error {
	body := map[string]any{"record_id": cr.record, "grounds": []string{"记录内容有误"}, "statement": "请核实并更正该记录"}
	unsure := false
	for range attempts {
		t0 := time.Now()
		res := c.call(ctx, "subject", http.MethodPost, "/api/v1/objections", body)
		if c.retryable(res) {
			unsure = unsure || res.sent || res.err == nil
			pause(ctx)
			continue
		}
		cr.calls = append(cr.calls, time.Since(t0))
		switch {
		case res.status == http.StatusCreated:
			var f struct {
				Case struct {
					CaseNo string `json:"case_no"`
					Stage  string `json:"stage"`
				} `json:"case"`
			}
			if err := json.Unmarshal(res.body, &f); err != nil || f.Case.CaseNo == "" {
				return fmt.Errorf("filing on record %d: answer %s", cr.record, res.body)
			}
			cr.caseNo, cr.stage = f.Case.CaseNo, f.Case.Stage
			return nil
		case res.status == http.StatusConflict && unsure:
			c.ambiguous.Add(1)
			return c.findOpen(ctx, cr)
		default:
			return fmt.Errorf("filing on record %d: %d %s", cr.record, res.status, res.body)
		}
	}
	return fmt.Errorf("filing on record %d: no answer after %d attempts", cr.record, attempts)
}

func (c *client) findOpen(ctx context.Context, cr *caseRun) error {
	for range attempts {
		res := c.call(ctx, "subject", http.MethodGet, fmt.Sprintf("/api/v1/objections?record_id=%d&status=open", cr.record), nil)
		if c.retryable(res) {
			pause(ctx)
			continue
		}
		var page struct {
			Cases []struct {
				CaseNo string `json:"case_no"`
				Stage  string `json:"stage"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(res.body, &page); err != nil || res.status != http.StatusOK || len(page.Cases) != 1 {
			return fmt.Errorf("open case on record %d: %d %s", cr.record, res.status, res.body)
		}
		cr.caseNo, cr.stage = page.Cases[0].CaseNo, page.Cases[0].Stage
		return nil
	}
	return fmt.Errorf("open case on record %d: no answer", cr.record)
}

// step takes one step. After an unanswered attempt, a refusal because the
// case is past the stage means the attempt went through: the client reads
// the case back to be sure.
func (c *client) step(ctx context.Context, cr *caseRun, s step) error {
	path := "/api/v1/objections/" + url.PathEscape(cr.caseNo) + "/" + s.action
	unsure := false
	for range attempts {
		t0 := time.Now()
		res := c.call(ctx, s.user, http.MethodPost, path, s.body)
		if c.retryable(res) {
			unsure = unsure || res.sent || res.err == nil
			pause(ctx)
			continue
		}
		cr.calls = append(cr.calls, time.Since(t0))
		switch {
		case res.status == http.StatusOK:
			var st struct {
				Stage string `json:"stage"`
			}
			if err := json.Unmarshal(res.body, &st); err != nil || st.Stage != s.after {
				return fmt.Errorf("%s %s: answered stage %q, want %q: %s", cr.caseNo, s.action, st.Stage, s.after, res.body)
			}
			cr.stage = st.Stage
			return nil
		case (res.status == http.StatusConflict || res.status == http.StatusUnprocessableEntity) && unsure:
			// The unanswered attempt may still be running in the workflow
			// (its activity was on the killed worker and is retried after
			// its timeout): the case must reach the step's stage.
			var stage string
			deadline := time.Now().Add(2 * time.Minute)
			for {
				var err error
				if stage, err = c.liveStage(ctx, cr.caseNo); err != nil {
					return err
				}
				if slices.Index(stageOrder, stage) >= slices.Index(stageOrder, s.after) {
					c.ambiguous.Add(1)
					cr.stage = stage
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("%s %s: refused after an unanswered attempt, and the case stays at %s: %s", cr.caseNo, s.action, stage, res.body)
				}
				time.Sleep(time.Second)
			}
		default:
			return fmt.Errorf("%s %s: %d %s", cr.caseNo, s.action, res.status, res.body)
		}
	}
	return fmt.Errorf("%s %s: no answer after %d attempts", cr.caseNo, s.action, attempts)
}

func (c *client) liveStage(ctx context.Context, caseNo string) (string, error) {
	var last result
	for range attempts {
		res := c.call(ctx, "caseworker", http.MethodGet, "/api/v1/objections/"+url.PathEscape(caseNo), nil)
		last = res
		if c.retryable(res) {
			pause(ctx)
			continue
		}
		var d struct {
			Case struct {
				Stage string `json:"stage"`
			} `json:"case"`
			Live *struct {
				Stage string `json:"stage"`
			} `json:"live"`
		}
		if err := json.Unmarshal(res.body, &d); err != nil || res.status != http.StatusOK {
			return "", fmt.Errorf("read %s back: %d %s", caseNo, res.status, res.body)
		}
		// The live state is the workflow's own answer; without it (the
		// query timed out) the projection row, which may lag behind.
		if d.Live != nil && d.Live.Stage != "" {
			return d.Live.Stage, nil
		}
		if d.Case.Stage != "" {
			return d.Case.Stage, nil
		}
		pause(ctx)
	}
	return "", fmt.Errorf("read %s back: no stage: %d %v %s", caseNo, last.status, last.err, last.body)
}

func say(msg string) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), msg)
}
