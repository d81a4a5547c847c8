// Command atrest measures what many open cases cost while they wait on
// their deadlines, and that the timers survive an outage (issue 20 part 3):
//   - production roles as separate processes (bench/internal/procs): a
//     private PostgreSQL, `creditcase engine`, `creditcase worker`,
//     `creditcase api`;
//   - -cases open cases filed through the API by the demo parties, a mix of
//     the three procedures — objections and repair applications (the
//     subject) and listing proposals (the provider) — each on its own
//     record, until every one has stored its first deadline (the first
//     deadlines are the rules' own: 3 to 5 working days from filing);
//   - -advance N: N of them moved on through the API to later stages
//     (accepted, forwarded, replied to, decided and in the appeal window;
//     a hearing scheduled; a repair accepted), so that their pending
//     deadlines fall over the coming weeks as a province's do (advance.go);
//     the pending deadlines' spread over the working days from today is
//     printed by every run;
//   - at rest: worker, engine and API RSS, their CPU and PostgreSQL's over
//     -rest in a window with no reconciliation pass running (a scheduled
//     pass going is waited for; one starting inside the window voids it),
//     and the PostgreSQL size per case (application + Temporal databases,
//     before and after);
//   - one reconciliation pass on demand (the workflow and input of a
//     supervisor's POST /api/v1/reconciliations, through the Temporal
//     client so that a pass longer than the API's two minutes is waited
//     for, at most -reconcile-for): its duration, its counters as
//     reconcile_runs holds them, and the roles' CPU during the pass
//     (reconciler.go); the reconciler's schedule is unpaused first (a
//     long -advance may pause it with -pause-reconciler);
//   - outage: -timers bench workflows (their own task queue, a worker in
//     this process) await a timer due during the outage exactly as a case
//     awaits its deadline (AwaitWithTimeout); then worker, engine and the
//     bench worker are killed with SIGKILL for -outage, started again, and
//     restart-to-ready is the time from starting the engine to the worker
//     answering /readyz; every timer must fire after the restart, none
//     lost, and every case workflow must still be running.
//
// A kept -dir grows in steps: a run with -cases larger than the open cases
// there files the difference. Seed in one run at low priority and measure
// in a second one that starts its own servers on the seeded data (at the
// measuring priority; -build=false compiles nothing):
//
//	go run ./bench/atrest                                    # -cases 300 quick
//	nice -n 19 ionice -c3 go run ./bench/atrest -seed -cases 10000 -dir /tmp/ccatrest
//	flock /work/bench.lock go run ./bench/atrest -build=false -cases 10000 -dir /tmp/ccatrest
//	nice -n 19 ionice -c3 go run ./bench/atrest -seed -cases 30000 -dir /tmp/ccatrest   # adds 20 000
//	flock /work/bench.lock go run ./bench/atrest -build=false -cases 30000 -outage 5m -timers 200 -dir /tmp/ccatrest
//	nice -n 5 go run ./bench/atrest -seed -build=false -pause-reconciler -cases 30000 -advance 15000 -dir /tmp/ccatrest  # moves the missing ones on
//
// The seeding run reports RSS after filing (every case just went through
// the worker: its workflow cache is as full as WORKFLOW_CACHE_SIZE lets it
// be; the engine's history cache holds every case touched in the last
// hour); the measuring run reports RSS and CPU at rest after a start on the
// seeded data, the size per case of the application's database and of the
// engine's two, restart to ready, the timer sample, and RSS once the
// restarted roles have caught up.
//
// "Cases" are the held ones: open, or decided and in the appeal window
// (their workflow waits on that deadline); a finished case is not counted.
//
// Ports: Temporal from -temporal-port (29300) to 31990 (membership 300
// below), the API on -http-port (18089), the worker's from 29015 up.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/bench/internal/figures"
	"github.com/creditcase/creditcase/bench/internal/procs"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "atrest:", err)
		os.Exit(1)
	}
}

func say(s string) { fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), s) }

type bench struct {
	dir, bin string
	pg       *pgcluster.Cluster
	pool     *pgxpool.Pool
	engine   *procs.Proc
	worker   *procs.Proc
	api      *procs.Proc
	port     int // Temporal frontend
	http     []int
	env      []string
	base     string
	tokens   map[string]string
	seeding  bool
	// temporalFrom and httpFrom are where the ports are looked for.
	temporalFrom, httpFrom int
	accounts               map[string]auth.Account
	lat                    latencies // the advance's calls
}

func run() error {
	n := flag.Int("cases", 300, "open cases to hold (a kept -dir with fewer gets the difference filed)")
	listShare := flag.Float64("listings", 0.3, "share of the cases that are listing proposals")
	repairShare := flag.Float64("repairs", 0.2, "share of the cases that are repair applications (the rest objections)")
	conc := flag.Int("c", 16, "concurrent clients filing the cases")
	seedOnly := flag.Bool("seed", false, "file the missing cases, report RSS after filing, and stop (run it under nice; measure in a second run)")
	rest := flag.Duration("rest", 60*time.Second, "how long CPU at rest is measured")
	timers := flag.Int("timers", 50, "timers due during the outage (the sample)")
	outage := flag.Duration("outage", 60*time.Second, "how long worker and engine are down")
	dir := flag.String("dir", "", "working directory to keep between runs (default: a temporary one)")
	timeout := flag.Duration("timeout", 4*time.Hour, "bound on the whole run")
	advance := flag.Int("advance", 0, "held cases to stand past their first stage (counted across runs; the missing ones are moved on through the API): see advance.go")
	advanceFor := flag.Duration("advance-for", 0, "stop handing out cases to -advance after this long (0: no bound); the cases in hand are finished, the rest left to a re-run")
	build := flag.Bool("build", true, "build ./cmd/creditcase into -dir (false: reuse the one the seeding run built, so a measuring run compiles nothing)")
	pauseRec := flag.Bool("pause-reconciler", false, "a seeding/advance run: pause the reconciler's schedule and terminate a pass in flight, so a long advance does not compete with it (a measuring run always unpauses it: the product as deployed)")
	reconcile := flag.Bool("reconcile", true, "after the window at rest, run one reconciliation pass on demand and measure it")
	reconcileFor := flag.Duration("reconcile-for", 10*time.Minute, "how long a reconciliation pass (on demand, or a scheduled one going at rest) is waited for")
	temporalFrom := flag.Int("temporal-port", 29300, "lowest Temporal frontend port to try (membership 300 below)")
	httpFrom := flag.Int("http-port", 18089, "the API's HTTP port (the worker's and a seeding run's are taken from 29015 up)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	b := &bench{dir: *dir, seeding: *seedOnly, temporalFrom: *temporalFrom, httpFrom: *httpFrom}
	if b.dir == "" {
		if *seedOnly {
			return errors.New("-seed needs -dir (the seeded cluster is kept there for the measuring run)")
		}
		tmp, err := os.MkdirTemp("/tmp", "creditcase-bench-atrest-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		b.dir = tmp
	}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(b.dir, 0o755); err != nil {
		return err
	}
	defer b.stopAll()
	b.bin = filepath.Join(b.dir, "creditcase")
	if _, err := os.Stat(b.bin); err != nil || *build {
		say(fmt.Sprintf("building ./cmd/creditcase (load %s)", loadavg()))
		if err := procs.Build(ctx, b.bin); err != nil {
			return err
		}
	}
	if !*seedOnly {
		top("start of the measurement")
		defer top("end of the measurement")
	}
	tStart := time.Now()
	if err := b.start(ctx); err != nil {
		return err
	}
	say(fmt.Sprintf("PostgreSQL, engine, worker and API started in %s", time.Since(tStart).Round(100*time.Millisecond)))
	if *seedOnly && *pauseRec {
		if err := b.pauseReconciler(ctx); err != nil {
			return err
		}
	} else if !*seedOnly {
		if err := b.unpauseReconciler(ctx); err != nil {
			return err
		}
	}
	base, err := b.baseline(ctx)
	if err != nil {
		return err
	}
	var have int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE `+held).Scan(&have); err != nil {
		return err
	}
	if have < *n {
		t0 := time.Now()
		if err := b.fileCases(ctx, *n, *n-have, *listShare, *repairShare, *conc); err != nil {
			return err
		}
		took := time.Since(t0)
		say(fmt.Sprintf("%d cases filed and settled in %s: %.1f cases/s (load %s)", *n-have, took.Round(time.Second), float64(*n-have)/took.Seconds(), loadavg()))
	}
	if *advance > 0 {
		if err := b.advance(ctx, *advance, *conc, *advanceFor); err != nil {
			return err
		}
	}
	st, err := b.state(ctx)
	if err != nil {
		return err
	}
	spread, err := b.spreadWD(ctx)
	if err != nil {
		return err
	}
	fmt.Print(spread)
	size := fmt.Sprintf("%d cases", st.open)
	say(fmt.Sprintf("%s (%d objections, %d listings, %d repairs), %d with a pending deadline; next deadlines due %s; resting",
		size, st.objections, st.listings, st.repairs, st.withTimer, st.spread))
	sizes, err := b.dbSizes(ctx)
	if err != nil {
		return err
	}
	perApp := float64(sizes.app-base.app) / float64(max(1, st.open))
	perEngine := float64(sizes.engine-base.engine) / float64(max(1, st.open))
	roles := []*procs.Proc{b.worker, b.engine, b.api}

	if *seedOnly {
		// RSS after filing: every case has just been through the worker
		// (its sticky cache holds as many as WORKFLOW_CACHE_SIZE allows).
		time.Sleep(15 * time.Second)
		rss := map[string]int64{}
		for _, p := range roles {
			rss[p.Name] = rssBytes(p.PID())
		}
		fmt.Printf("%s seeded (%d objections, %d listings, %d repairs; %d with a pending deadline, next deadlines due %s)\n",
			size, st.objections, st.listings, st.repairs, st.withTimer, st.spread)
		fmt.Printf("RSS after filing (seeding run, niced): worker %d MiB, engine %d MiB, API %d MiB\n", rss["worker"]>>20, rss["engine"]>>20, rss["api"]>>20)
		fmt.Printf("PostgreSQL per case: application %.1f KiB, engine %.1f KiB (application %d MiB, engine %d MiB)\n",
			perApp/1024, perEngine/1024, sizes.app>>20, sizes.engine>>20)
		figures.Emit(
			figures.Goal("3 at rest", "worker RSS after filing (seeding run), "+size, fmt.Sprintf("%d MiB", rss["worker"]>>20), "≤ 1 GiB", rss["worker"] <= 1<<30),
			figures.Report("3 at rest", "engine RSS / API RSS after filing, "+size, fmt.Sprintf("%d MiB / %d MiB", rss["engine"]>>20, rss["api"]>>20)),
		)
		return nil
	}

	// At rest: let the last tasks drain, then RSS and CPU over -rest, in
	// a window with no reconciliation pass running (a scheduled one that
	// is going is waited for; one that starts inside the window voids it
	// and the window is measured again).
	time.Sleep(15 * time.Second)
	croles := b.cpuRoles()
	var cpu map[string]float64
	var restAt time.Time
	for attempt := 1; ; attempt++ {
		waited, still, err := b.waitNoPass(ctx, *reconcileFor)
		if err != nil {
			return err
		}
		if len(still) > 0 {
			return fmt.Errorf("a reconciliation pass still runs after %s (%v): no window at rest without one", waited.Round(time.Second), still)
		}
		if waited > 5*time.Second {
			say(fmt.Sprintf("a scheduled reconciliation pass was running: waited %s for it to end", waited.Round(time.Second)))
		}
		restAt = time.Now()
		cpu0 := cpuOf(croles)
		time.Sleep(*rest)
		cpu = cpuSince(croles, cpu0, time.Since(restAt))
		n, err := b.passesDuring(ctx, restAt, time.Now())
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if attempt == 3 {
			return fmt.Errorf("a reconciliation pass ran in each of %d windows at rest", attempt)
		}
		say(fmt.Sprintf("a reconciliation pass ran inside the window at rest: measured again (%d)", attempt+1))
	}
	rss := map[string]int64{}
	for _, p := range roles {
		rss[p.Name] = rssBytes(p.PID())
	}
	fmt.Printf("%s at rest (%d objections, %d listings, %d repairs; %d with a pending deadline, next deadlines due %s)\n",
		size, st.objections, st.listings, st.repairs, st.withTimer, st.spread)
	fmt.Printf("CPU at rest over %s from %s, no reconciliation pass running:\n", *rest, restAt.Format("15:04:05"))
	fmt.Printf("%-10s %10s %14s\n", "role", "RSS MiB", "CPU at rest")
	for _, r := range croles {
		m := "-"
		if v, ok := rss[r.name]; ok {
			m = strconv.FormatInt(v>>20, 10)
		}
		fmt.Printf("%-10s %10s %13.1f%%\n", r.name, m, cpu[r.name])
	}
	fmt.Printf("PostgreSQL per case: application %.1f KiB, engine %.1f KiB (application %d MiB, engine %d MiB; the empty cluster's sizes subtracted)\n",
		perApp/1024, perEngine/1024, sizes.app>>20, sizes.engine>>20)

	// One reconciliation pass on demand, as a supervisor starts it, with
	// the roles' CPU while it runs.
	var ps pass
	if *reconcile {
		say(fmt.Sprintf("reconciliation on demand over %d held cases (at most %s; load %s)", st.open, *reconcileFor, loadavg()))
		if ps, err = b.reconcileNow(ctx, *reconcileFor, croles); err != nil {
			return err
		}
		state := "finished"
		if !ps.finished {
			state = "NOT finished (ended by the bench)"
		}
		fmt.Printf("reconciliation pass on demand %s: %s in %s; %s\n", ps.id, state, ps.took.Round(100*time.Millisecond), ps.counts())
		fmt.Printf("CPU during the pass: worker %.1f%%, engine %.1f%%, API %.1f%%, PostgreSQL %.1f%% of a core; RSS after it: worker %d MiB, engine %d MiB\n",
			ps.cpu["worker"], ps.cpu["engine"], ps.cpu["api"], ps.cpu["postgres"], rssBytes(b.worker.PID())>>20, rssBytes(b.engine.PID())>>20)
	}

	// The outage.
	o, err := b.outage(ctx, *timers, *outage)
	if err != nil {
		return err
	}
	fmt.Printf("outage of %s (worker and engine killed with SIGKILL): restart to ready %s; %d of %d timers due during it fired after the restart (%d lost, latest %.1fs after ready); %d of %d case workflows still running\n",
		*outage, o.restart.Round(100*time.Millisecond), o.fired, *timers, o.lost, o.late.Seconds(), o.running, o.open)
	if len(o.others) > 0 {
		fmt.Printf("running workflows against open cases: %s\n", strings.Join(o.others, "; "))
	}
	fmt.Printf("RSS after the restart (timers fired, %s later): worker %d MiB, engine %d MiB\n", o.settle.Round(time.Second), o.workerRSS>>20, o.engineRSS>>20)

	fs := []figures.Figure{
		figures.Goal("3 at rest", "worker RSS at rest, "+size, fmt.Sprintf("%d MiB (%d MiB after the restart)", rss["worker"]>>20, o.workerRSS>>20), "≤ 1 GiB",
			rss["worker"] <= 1<<30 && o.workerRSS <= 1<<30),
		figures.Report("3 at rest", "engine RSS / API RSS, "+size, fmt.Sprintf("%d MiB / %d MiB (engine %d MiB after the restart)", rss["engine"]>>20, rss["api"]>>20, o.engineRSS>>20)),
		figures.Report("3 at rest", "CPU at rest worker / engine / API / PostgreSQL (no reconciliation pass)", fmt.Sprintf("%.1f%% / %.1f%% / %.1f%% / %.1f%% of a core", cpu["worker"], cpu["engine"], cpu["api"], cpu["postgres"])),
		figures.Report("3 at rest", "PostgreSQL per case application / engine", fmt.Sprintf("%.1f KiB / %.1f KiB", perApp/1024, perEngine/1024)),
		figures.Goal("3 at rest", fmt.Sprintf("restart to ready after a %s outage, %s", *outage, size), o.restart.Round(100*time.Millisecond).String(), "≤ 30s", o.restart <= 30*time.Second),
		figures.Goal("3 at rest", "timers due during the outage fired after it", fmt.Sprintf("%d of %d (latest %.1fs after ready); %d of %d cases running", o.fired, *timers, o.late.Seconds(), o.running, o.open),
			"none lost", o.lost == 0 && o.fired == *timers && o.running == o.open && o.open >= st.open),
	}
	if *reconcile {
		took := ps.took.Round(100 * time.Millisecond).String()
		if !ps.finished {
			took = "not finished in " + took
		}
		fs = append(fs,
			figures.Report("3 at rest", "reconciliation pass on demand, "+size, fmt.Sprintf("%s (%s)", took, ps.counts())),
			figures.Report("3 at rest", "CPU during the pass worker / engine / API / PostgreSQL", fmt.Sprintf("%.1f%% / %.1f%% / %.1f%% / %.1f%% of a core",
				ps.cpu["worker"], ps.cpu["engine"], ps.cpu["api"], ps.cpu["postgres"])))
	}
	figures.Emit(fs...)
	return nil
}

// top prints the load average and the five processes using most CPU.
func top(when string) {
	say(fmt.Sprintf("%s: load average %s", when, loadavg()))
	if out, err := exec.Command("sh", "-c", "ps aux --sort=-%cpu | head -6 | cut -c1-160").Output(); err == nil {
		os.Stderr.Write(out)
	}
}

// loadavg is /proc/loadavg's three load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// held are the cases whose workflow still waits on a deadline: the open
// ones and the objections decided and in their appeal window (status
// closed, stage closed: the subject may still appeal). Only a finished
// case's workflow has ended.
const held = `stage <> 'finished'`

type caseState struct {
	open, objections, listings, repairs, withTimer int
	spread                                         string // next deadlines: range and per-week counts
}

// state counts the open cases and how their next deadlines spread.
func (b *bench) state(ctx context.Context) (caseState, error) {
	var s caseState
	var first, last time.Time
	if err := b.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE kind = 'objection'), count(*) FILTER (WHERE kind = 'listing'),
		count(*) FILTER (WHERE kind = 'repair'), count(next_due_at), coalesce(min(next_due_at), now()), coalesce(max(next_due_at), now())
		FROM cases WHERE `+held).
		Scan(&s.open, &s.objections, &s.listings, &s.repairs, &s.withTimer, &first, &last); err != nil {
		return s, err
	}
	rows, err := b.pool.Query(ctx, `SELECT to_char(w, 'MM-DD'), c FROM (SELECT date_trunc('week', next_due_at AT TIME ZONE 'Asia/Shanghai') AS w, count(*) AS c
		FROM cases WHERE `+held+` AND next_due_at IS NOT NULL GROUP BY 1) AS weeks ORDER BY w`)
	if err != nil {
		return s, err
	}
	var weeks []string
	for rows.Next() {
		var w string
		var c int
		if err := rows.Scan(&w, &c); err != nil {
			return s, err
		}
		weeks = append(weeks, fmt.Sprintf("%s:%d", w, c))
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	s.spread = fmt.Sprintf("%s … %s, by week %s", first.Format("2006-01-02"), last.Format("2006-01-02"), strings.Join(weeks, " "))
	return s, nil
}

type dbSizes struct{ app, engine int64 }

// dbSizes are the application's database and the engine's two.
func (b *bench) dbSizes(ctx context.Context) (dbSizes, error) {
	var s dbSizes
	err := b.pool.QueryRow(ctx, `SELECT pg_database_size('creditcase'), pg_database_size('temporal') + pg_database_size('temporal_visibility')`).Scan(&s.app, &s.engine)
	return s, err
}

// baseline is the databases' sizes before the first case, kept in the
// directory so a grown cluster's size per case leaves them out.
func (b *bench) baseline(ctx context.Context) (dbSizes, error) {
	f := filepath.Join(b.dir, "baseline.json")
	var s struct{ App, Engine int64 }
	if data, err := os.ReadFile(f); err == nil {
		if err := json.Unmarshal(data, &s); err != nil {
			return dbSizes{}, fmt.Errorf("%s: %w", f, err)
		}
		return dbSizes{s.App, s.Engine}, nil
	}
	var have int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&have); err != nil {
		return dbSizes{}, err
	}
	now, err := b.dbSizes(ctx)
	if err != nil || have > 0 {
		return dbSizes{}, err // a cluster with cases but no baseline: counted whole
	}
	s.App, s.Engine = now.app, now.engine
	data, _ := json.Marshal(s)
	return now, os.WriteFile(f, data, 0o644)
}

func (b *bench) stopAll() {
	for _, p := range []*procs.Proc{b.api, b.worker, b.engine} {
		if p != nil {
			_ = p.Stop(30 * time.Second)
		}
	}
	if b.pool != nil {
		b.pool.Close()
	}
	if b.pg != nil {
		b.pg.Stop()
	}
}

func (b *bench) start(ctx context.Context) error {
	var err error
	b.pg, err = pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(b.dir, "pg")})
	if err != nil {
		return err
	}
	if err := pgcluster.CreateDatabase(ctx, b.pg.URL("postgres"), "creditcase"); err != nil {
		return err
	}
	// The scale developer's ports: Temporal from 29300 (membership 300
	// below, from 29000), HTTP 18089 and 29015.
	if b.port, err = procs.TemporalPort(b.temporalFrom, 31990, "127.0.0.1"); err != nil {
		return err
	}
	// A seeding run takes other ports than a measuring one: the two run
	// side by side on different copies.
	httpPorts := []int{b.httpFrom, 29015, 29016, 29017}
	if b.seeding {
		httpPorts = []int{29021, 29022, 29023, 29024}
	}
	if b.http, err = procs.HTTPPorts(2, httpPorts...); err != nil {
		return err
	}
	if err := b.startEngine(ctx); err != nil {
		return err
	}
	b.env = []string{"DATABASE_URL=" + b.pg.URL("creditcase"), fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", b.port),
		"LOG_LEVEL=warn", "LOG_FORMAT=json"}
	if out, err := procs.Run(ctx, b.bin, b.env, "migrate", "up"); err != nil {
		return err
	} else {
		say("migrate: " + strings.TrimSpace(out))
	}
	if b.pool, err = db.Open(ctx, b.pg.URL("creditcase")); err != nil {
		return err
	}
	if _, err := seed.Demo(ctx, b.pool); err != nil {
		return err
	}
	if err := b.startWorker(ctx); err != nil {
		return err
	}
	b.base = fmt.Sprintf("http://127.0.0.1:%d", b.http[0])
	if b.api, err = procs.Start(b.dir, "api", b.bin, append(slices.Clone(b.env), "HTTP_ADDR=127.0.0.1:"+strconv.Itoa(b.http[0])), "api"); err != nil {
		return err
	}
	if err := b.api.WaitReady(ctx, b.base+"/readyz"); err != nil {
		return err
	}
	// The port was free when chosen: another program may have bound it
	// since, and answered /readyz in our API's stead.
	select {
	case <-b.api.Exited():
		return fmt.Errorf("the API exited at start: %s", b.api.Tail())
	case <-time.After(2 * time.Second):
	}
	b.tokens, b.accounts = map[string]string{}, map[string]auth.Account{}
	as := auth.New(b.pool, 4)
	for _, u := range []string{"subject", "provider", "caseworker"} {
		if b.tokens[u], err = login(ctx, b.base, u); err != nil {
			return err
		}
		if b.accounts[u], err = as.AccountByUsername(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) startEngine(ctx context.Context) error {
	var err error
	b.engine, err = procs.Start(b.dir, "engine", b.bin, []string{
		"DATABASE_URL=" + b.pg.URL("postgres"), "TEMPORAL_BIND_IP=127.0.0.1", fmt.Sprintf("TEMPORAL_PORT=%d", b.port),
		"TEMPORAL_UI_PORT=0", "LOG_LEVEL=warn", "TEMPORAL_LOG_LEVEL=error",
	}, "engine")
	if err != nil {
		return err
	}
	return b.engine.WaitLog(ctx, "engine ready")
}

func (b *bench) startWorker(ctx context.Context) error {
	var err error
	addr := "127.0.0.1:" + strconv.Itoa(b.http[1])
	if b.worker, err = procs.Start(b.dir, "worker", b.bin, append(slices.Clone(b.env), "HTTP_ADDR="+addr), "worker"); err != nil {
		return err
	}
	return b.worker.WaitReady(ctx, "http://"+addr+"/readyz")
}

// fileCases gives the demo subject one record per case (COPY) and files
// the cases through the API, then waits until each stored its first
// deadline. Listing and repair records are negative records of one
// decision day, past the shortest disclosure period of a general record.
func (b *bench) fileCases(ctx context.Context, target, n int, listShare, repairShare float64, conc int) error {
	subj, prov := b.accounts["subject"], b.accounts["provider"]
	nList := int(float64(n) * listShare)
	nRepair := int(float64(n) * repairShare)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	stamp := time.Now().UnixNano()
	// Repair records come from a department with no other record of the
	// demo subject (the demo's later records of the proposing department
	// would be a dishonesty "of the same kind" after them).
	var repairProvider int64
	if err := b.pool.QueryRow(ctx, `SELECT id FROM providers WHERE code = 'nt-hrss'`).Scan(&repairProvider); err != nil {
		return fmt.Errorf("the demo department nt-hrss: %w", err)
	}
	_, err := b.pool.CopyFrom(ctx, pgx.Identifier{"records"},
		[]string{"subject_id", "provider_id", "category", "severity", "disclosure", "title", "content", "decision_no", "decided_on", "disclosure_end", "period_rule", "profile_id"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= n {
					return nil, nil
				}
				decided := today.AddDate(0, 0, -120)
				row := []any{subj.SubjectID, prov.ProviderID, "other", nil, "authorised", "基准测试记录", "内容",
					fmt.Sprintf("ATREST-%d-O-%d", stamp, i), decided, nil, "", "nantong"}
				switch {
				case i < nList:
					row = []any{subj.SubjectID, prov.ProviderID, "negative", "serious", "public", "拒不履行行政处罚决定", "经催告仍拒不履行",
						fmt.Sprintf("ATREST-%d-L-%d", stamp, i), decided, decided.AddDate(3, 0, 0), "disclosure.serious", "nantong"}
				case i < nList+nRepair:
					row = []any{subj.SubjectID, repairProvider, "negative", "general", "public", "逾期未申报行政处罚", "罚款人民币 2000 元，已缴清",
						fmt.Sprintf("ATREST-%d-R-%d", stamp, i), decided, decided.AddDate(1, 0, 0), "disclosure.general", "nantong"}
				}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		return fmt.Errorf("copy records: %w", err)
	}
	rows, err := b.pool.Query(ctx, `SELECT id, decision_no FROM records WHERE decision_no LIKE $1 ORDER BY id`, fmt.Sprintf("ATREST-%d-%%", stamp))
	if err != nil {
		return err
	}
	type job struct {
		id   int64
		kind byte // O objection, L listing, R repair
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var j job
		var no string
		err := r.Scan(&j.id, &no)
		if k := strings.Split(no, "-"); len(k) == 4 {
			j.kind = k[2][0]
		}
		return j, err
	})
	if err != nil {
		return err
	}
	// Interleave the kinds so all are filed throughout.
	slices.SortFunc(jobs, func(a, c job) int { return int(a.id%97) - int(c.id%97) })
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	var done atomic.Int64
	var firstErr error
	var mu sync.Mutex
	ch := make(chan job)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				var err error
				// Under a loaded machine the API's engine timeout runs out
				// (503, nothing filed): try again, patiently.
				for attempt := 0; attempt < 30; attempt++ {
					switch j.kind {
					case 'L':
						err = post(ctx, hc, b.base+"/api/v1/listings", b.tokens["provider"], map[string]any{
							"subject_id": subj.SubjectID, "record_ids": []int64{j.id}, "reasons": "拒不履行法定义务，情节严重",
							"legal_basis": []string{"《南通市公共信用信息管理办法》第三十条"}, "measures": []string{"public_disclosure"},
							"period": map[string]any{"length": 3, "unit": "year"}})
					case 'R':
						err = postRepair(ctx, hc, b.base, b.tokens["subject"], j.id)
					default:
						err = post(ctx, hc, b.base+"/api/v1/objections", b.tokens["subject"], map[string]any{
							"record_id": j.id, "grounds": []string{"记录内容有误"}, "statement": "请核实并更正"})
					}
					var st errStatus
					if err != nil && attempt > 0 && errors.As(err, &st) && st.code == http.StatusConflict && strings.Contains(st.msg, "/problems/objection-open") {
						// The earlier attempt's 503 came after the case was
						// opened (the engine answered late): it is filed.
						err = nil
					}
					if err != nil && attempt > 0 && errors.As(err, &st) && st.code == http.StatusConflict &&
						(strings.Contains(st.msg, "/problems/repair-open") || strings.Contains(st.msg, "/problems/already-listed")) {
						err = nil // the same for a repair application or a listing proposal
					}
					if err == nil || !errors.As(err, &st) || st.code != http.StatusServiceUnavailable {
						break
					}
					time.Sleep(5 * time.Second)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				if d := done.Add(1); d%500 == 0 {
					say(fmt.Sprintf("%d of %d filed (%.1f/s)", d, len(jobs), float64(d)/time.Since(t0).Seconds()))
				}
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// Settled: every open case has its first deadline. A listing's first
	// deadline (the statement period) runs from the service of its written
	// notice, so the caseworker records that service once the notice exists
	// (a refusal means it is not rendered yet: tried again next round).
	served := map[string]bool{}
	for {
		// A case answered 201 is in the table once its workflow has
		// written it: the ones not there yet are waiting too.
		var waiting, open int
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE next_due_at IS NULL AND stage IN ('acceptance', 'notice', 'representation')), count(*)
			FROM cases WHERE `+held).Scan(&waiting, &open); err != nil {
			return err
		}
		waiting += max(0, target-open)
		if waiting == 0 {
			return nil
		}
		nos, err := b.unservedListings(ctx)
		if err != nil {
			return err
		}
		say(fmt.Sprintf("%d cases without their first deadline yet (%d listings to serve)", waiting, len(nos)))
		sch := make(chan string)
		var swg sync.WaitGroup
		var serr error
		for range conc {
			swg.Add(1)
			go func() {
				defer swg.Done()
				for no := range sch {
					err := post(ctx, hc, b.base+"/api/v1/listings/"+no+"/service", b.tokens["caseworker"], map[string]any{
						"method": "electronic", "served_at": time.Now().UTC().Format(time.RFC3339), "note": "电子送达，系统回执"})
					var st errStatus
					mu.Lock()
					switch {
					case err == nil:
						served[no] = true
					case errors.As(err, &st) && (st.code == http.StatusConflict || st.code == http.StatusServiceUnavailable):
					default:
						if serr == nil {
							serr = err
						}
					}
					mu.Unlock()
				}
			}()
		}
		for _, no := range nos {
			mu.Lock()
			done := served[no]
			mu.Unlock()
			if !done {
				sch <- no
			}
		}
		close(sch)
		swg.Wait()
		if serr != nil {
			return serr
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d cases without a deadline: %w", waiting, ctx.Err())
		case <-time.After(5 * time.Second):
		}
	}
}

// unservedListings are the open listing proposals still waiting for the
// service of their notice.
func (b *bench) unservedListings(ctx context.Context) ([]string, error) {
	rows, err := b.pool.Query(ctx, `SELECT case_no FROM cases WHERE kind = 'listing' AND status = 'open' AND next_due_at IS NULL ORDER BY case_no`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

type errStatus struct {
	code int
	msg  string
}

func (e errStatus) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func post(ctx context.Context, hc *http.Client, u, token string, body any) error {
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return errStatus{resp.StatusCode, fmt.Sprintf("POST %s: %s", u, out)}
	}
	return nil
}

// pdf is a minimal PDF document, as evidence and commitment.
func pdf(note string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " + note + "\n" +
		"trailer << /Root 1 0 R >>\n%%EOF\n")
}

// postRepair files a repair application for record id with a signed
// commitment and one piece of evidence, as the subject does.
func postRepair(ctx context.Context, hc *http.Client, base, token string, id int64) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("record_id", strconv.FormatInt(id, 10))
	_ = w.WriteField("statement", "罚款已缴清，已完成整改")
	fw, _ := w.CreateFormFile("commitment", "信用承诺书.pdf")
	_, _ = fw.Write(pdf("commitment"))
	fw, _ = w.CreateFormFile("file", "缴款凭证.pdf")
	_, _ = fw.Write(pdf("receipt"))
	if err := w.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/repairs", &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return errStatus{resp.StatusCode, fmt.Sprintf("POST %s/api/v1/repairs: %s", base, out)}
	}
	return nil
}

func login(ctx context.Context, base, user string) (string, error) {
	data, _ := json.Marshal(map[string]string{"username": user, "password": seed.DemoPassword, "kind": "bearer", "label": "bench"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var lr struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil || resp.StatusCode != http.StatusOK || lr.Token == "" {
		return "", fmt.Errorf("log-in %s: %d (%v)", user, resp.StatusCode, err)
	}
	return lr.Token, nil
}

// timerQueue is the bench's own task queue for the outage sample.
const timerQueue = "bench-timers"

// TimerWorkflow awaits until due as a case awaits its next deadline
// (workflow.AwaitWithTimeout on a condition that stays false) and returns
// the workflow time at which the timer fired.
func TimerWorkflow(ctx workflow.Context, due time.Time) (time.Time, error) {
	if wait := due.Sub(workflow.Now(ctx)); wait > 0 {
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return false }); err != nil {
			return time.Time{}, err
		}
	}
	return workflow.Now(ctx), nil
}

// outage starts the sample's timers, kills worker and engine (and the
// bench's own worker) for d, starts them again and checks the sample.
type outcome struct {
	fired, lost, running  int
	open                  int      // open cases when the running workflows were counted
	others                []string // case types whose running workflows differ from their open cases
	late, restart, settle time.Duration
	workerRSS, engineRSS  int64
}

func (b *bench) outage(ctx context.Context, timers int, d time.Duration) (o outcome, err error) {
	tc, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", b.port), Logger: quiet{}})
	if err != nil {
		return
	}
	w := worker.New(tc, timerQueue, worker.Options{})
	w.RegisterWorkflow(TimerWorkflow)
	if err = w.Start(); err != nil {
		return
	}
	// Timers due from 10 s into the outage to 10 s before its end.
	killAt := time.Now().Add(10 * time.Second)
	span := d - 20*time.Second
	if span <= 0 {
		span = d / 2
	}
	ids := make([]string, timers)
	dues := make([]time.Time, timers)
	for i := range timers {
		ids[i] = fmt.Sprintf("bench-timer-%d-%d", killAt.UnixNano(), i)
		dues[i] = killAt.Add(10*time.Second + time.Duration(i)*span/time.Duration(max(1, timers)))
		if _, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: timerQueue, WorkflowExecutionTimeout: 2 * time.Hour}, TimerWorkflow, dues[i]); err != nil {
			return
		}
	}
	time.Sleep(time.Until(killAt))
	say(fmt.Sprintf("outage: SIGKILL to worker (pid %d) and engine (pid %d) for %s", b.worker.PID(), b.engine.PID(), d))
	w.Stop()
	tc.Close()
	b.worker.Kill9()
	b.engine.Kill9()
	time.Sleep(d)
	t0 := time.Now()
	if err = b.startEngine(ctx); err != nil {
		return
	}
	if err = b.startWorker(ctx); err != nil {
		return
	}
	o.restart = time.Since(t0)
	ready := time.Now()
	say(fmt.Sprintf("engine and worker ready %s after the restart began (load %s)", o.restart.Round(100*time.Millisecond), loadavg()))
	if tc, err = client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", b.port), Logger: quiet{}}); err != nil {
		return
	}
	defer tc.Close()
	w = worker.New(tc, timerQueue, worker.Options{})
	w.RegisterWorkflow(TimerWorkflow)
	if err = w.Start(); err != nil {
		return
	}
	defer w.Stop()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for i, id := range ids {
		var at time.Time
		if gerr := tc.GetWorkflow(wctx, id, "").Get(wctx, &at); gerr != nil || at.Before(dues[i]) {
			o.lost++
			continue
		}
		o.fired++
		o.late = max(o.late, at.Sub(ready))
	}
	// RSS once the restarted roles have caught up (the cases' own timers
	// that fell due during the outage have run too).
	time.Sleep(15 * time.Second)
	o.settle = time.Since(ready)
	o.workerRSS, o.engineRSS = rssBytes(b.worker.PID()), rssBytes(b.engine.PID())
	// Every open case's workflow still running: the running workflows of
	// each case type against the open cases of its kind (a running
	// workflow of no open case shows as a difference in its type).
	rows, qerr := b.pool.Query(ctx, `SELECT kind, count(*) FROM cases WHERE `+held+` GROUP BY kind ORDER BY kind`)
	if qerr != nil {
		err = qerr
		return
	}
	type kindCount struct {
		Kind  string
		Count int
	}
	kinds, qerr := pgx.CollectRows(rows, pgx.RowToStructByPos[kindCount])
	if qerr != nil {
		err = qerr
		return
	}
	types := map[string]string{"objection": "ObjectionWorkflow", "listing": "ListingWorkflow", "repair": "RepairWorkflow"}
	for _, k := range kinds {
		resp, cerr := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: fmt.Sprintf(
			"TaskQueue = '%s' AND ExecutionStatus = 'Running' AND WorkflowType = '%s'", workflows.TaskQueue, types[k.Kind])})
		if cerr != nil {
			err = cerr
			return
		}
		n := int(resp.GetCount())
		o.open += k.Count
		o.running += min(n, k.Count)
		if n != k.Count {
			o.others = append(o.others, fmt.Sprintf("%s: %d running for %d open %s cases", types[k.Kind], n, k.Count, k.Kind))
		}
	}
	return
}

// quiet drops the SDK's log lines (the outage makes it complain).
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

// rssBytes is a process's resident set size.
func rssBytes(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuSeconds is a process's user + system CPU time.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(fs[11], 64)
	st, _ := strconv.ParseFloat(fs[12], 64)
	return (u + st) / 100 // USER_HZ
}
