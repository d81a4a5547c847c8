// Command lookup measures the public record lookup (GET
// /api/v1/public/records?q=…) over many records with a realistic name
// distribution, at a fixed arrival rate from a separate load process, by
// name and by code; then the daily disclosure-expiry sweep over the same
// records with a fraction expiring today, and the lookup's latency while
// the sweep runs (issue 20 part 4).
//
// The orchestrator seeds the records by COPY (bench/internal/seedrec;
// persons named by the frequency of Chinese surnames and given-name
// characters, so 王伟 and 张敏 recur as they do; organisations as place +
// brand + trade + form), serves the real API handlers (api.New) on a
// loopback port, and runs this same program again as the load process
// (-role load): an open loop that sends each request at its scheduled
// instant, whatever the answers before it, and measures latency from that
// instant (so a stall counts against every request it delays). The queries
// are subjects drawn at random (common names are asked for as often as
// they occur); each asks the first page of 20 records, as a visitor's
// search does, and a share of the answers that have a next page (-follow,
// 20 %) have it asked for at a following instant, in place of a new query.
//
// The sweep is the Sweeper's batches as DisclosureSweepWorkflow runs them
// (same batch size, same rest after each batch), called directly: it
// measures the database's work, without the engine's round trip per batch.
//
// Seeding is not a measurement: seed in one run under nice (-seed-only),
// then measure in a second run at normal priority that starts its own
// PostgreSQL from the kept -dir (bench/all does both). A -seed-only run on
// a kept cluster makes the records an earlier sweep archived due again.
// The cluster runs with RegisterSettings (-pg; -pg "" for the embedded
// cluster's development defaults). Beside each load the CPU time per
// answered request of the API, PostgreSQL and the load process is printed.
//
//	go run ./bench/lookup                                  # -n 200000 quick
//	nice -n 19 ionice -c3 go run ./bench/lookup -n 10000000 -dir /tmp/cclookup -seed-only
//	go run ./bench/lookup -n 10000000 -dir /tmp/cclookup   # full size, measured
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
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/bench/internal/figures"
	"github.com/creditcase/creditcase/bench/internal/seedrec"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/logging"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/ratelimit"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/workflows"
)

func main() {
	role := flag.String("role", "bench", "bench (orchestrator) or load (the load process)")
	n := flag.Int("n", 200_000, "records to hold")
	perSubject := flag.Int("per-subject", 10, "records per subject")
	expiring := flag.Float64("expiring", 0.01, "fraction of the records whose disclosure ended yesterday (the sweep's work)")
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 20*time.Second, "length of each measured load")
	dir := flag.String("dir", "", "cluster directory to keep between runs (default: a temporary one)")
	target := flag.String("target", "", "load: base URL")
	queries := flag.String("queries", "", "load: file of query strings, one per line")
	lowRate := flag.Int("low-rate", 100, "a second, light rate: the latency of a lookup without queueing (0: skip)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the API and PostgreSQL client side during the by-name load")
	explain := flag.Bool("explain", true, "print the plan of the lookup (EXPLAIN ANALYZE, BUFFERS) for the commonest name and for a code")
	pgSettings := flag.String("pg", strings.Join(RegisterSettings, ","), "PostgreSQL settings of the bench's cluster, comma-separated name=value (\"\": the embedded cluster's development defaults)")
	seedOnly := flag.Bool("seed-only", false, "seed the cluster in -dir and stop (run it under nice; measure in a second run that reuses -dir)")
	follow := flag.Float64("follow", 0.2, "share of the answers with a next page whose next page is asked for (a visitor paging on)")
	flag.Parse()
	var err error
	if *role == "load" {
		err = load(*target, *queries, *rate, *duration, *follow)
	} else {
		var settings []string
		if *pgSettings != "" {
			settings = strings.Split(*pgSettings, ",")
		}
		loadFollow = *follow
		err = run(*n, *perSubject, *expiring, *rate, *lowRate, *duration, *dir, *cpuprofile, *explain, *seedOnly, settings)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lookup:", err)
		os.Exit(1)
	}
}

func say(s string) { fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), s) }

func run(n, perSubject int, expiring float64, rate, lowRate int, duration time.Duration, dir, cpuprofile string, explain, seedOnly bool, settings []string) error {
	ctx := context.Background()
	d := dir
	if seedOnly && d == "" {
		return errors.New("-seed-only needs -dir: the cluster it seeds is for a later run")
	}
	if d == "" {
		tmp, err := os.MkdirTemp("/tmp", "creditcase-bench-lookup-")
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
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(d, "pg"), Settings: settings})
	if err != nil {
		return err
	}
	defer pg.Stop()
	if pgPID, err = postmasterPID(filepath.Join(d, "pg")); err != nil {
		return err
	}
	if err := pgcluster.CreateDatabase(ctx, pg.URL("postgres"), "bench"); err != nil {
		return err
	}
	pool, err := db.Open(ctx, pg.URL("bench"))
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

	t0 := time.Now()
	added, err := seedrec.Seed(ctx, pool, seedrec.Options{N: n, PerSubject: perSubject, Realistic: true, Expiring: expiring, Progress: say})
	if err != nil {
		return err
	}
	if added > 0 {
		say(fmt.Sprintf("seeded %d records in %s", added, time.Since(t0).Round(time.Second)))
	} else {
		// A kept cluster: what an earlier run's sweep archived is due
		// again. That is a scan of every record and a vacuum of every
		// index: do it in a -seed-only run (under nice) between two
		// measurements, so that the measuring run finds them due.
		var due int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM records WHERE status NOT IN ('archived', 'repaired') AND disclosure_end < $1`,
			calendar.DateOf(time.Now()).Start()).Scan(&due); err != nil {
			return err
		}
		if due == 0 && expiring > 0 {
			t1 := time.Now()
			tag, err := pool.Exec(ctx, `UPDATE records SET status = 'active' WHERE decision_no LIKE $1 AND status = 'archived'`, seedrec.ExpiringPrefix+"%")
			if err != nil {
				return err
			}
			if _, err := pool.Exec(ctx, `VACUUM ANALYZE records`); err != nil {
				return err
			}
			say(fmt.Sprintf("kept cluster: %d records made due for the sweep again in %s", tag.RowsAffected(), time.Since(t1).Round(time.Second)))
		} else {
			say(fmt.Sprintf("kept cluster: %d records due for the sweep", due))
		}
	}
	var size int64
	var subjects, commonest int
	var commonName string
	if err := pool.QueryRow(ctx, `SELECT pg_database_size(current_database()), (SELECT count(*) FROM subjects)`).Scan(&size, &subjects); err != nil {
		return err
	}
	if err := pool.QueryRow(ctx, `SELECT name, count(*) FROM subjects WHERE kind = 'person' GROUP BY name ORDER BY 2 DESC LIMIT 1`).Scan(&commonName, &commonest); err != nil {
		return err
	}
	say(fmt.Sprintf("%d records, %d subjects, database %d MiB; commonest person name held by %d subjects", n, subjects, size>>20, commonest))
	say(fmt.Sprintf("PostgreSQL settings beyond the embedded defaults: %q", settings))
	if seedOnly {
		return nil
	}

	// The queries: subjects drawn at random, by name and by code.
	names, codes, err := sample(ctx, pool, 20000)
	if err != nil {
		return err
	}
	qdir, err := os.MkdirTemp("", "creditcase-lookup-queries-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(qdir)
	write := func(name string, lines []string) (string, error) {
		p := filepath.Join(qdir, name)
		return p, os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	namesFile, err := write("names", names)
	if err != nil {
		return err
	}
	codesFile, err := write("codes", codes)
	if err != nil {
		return err
	}
	mixed := append(slices.Clone(names[:len(names)/2]), codes[:len(codes)/2]...)
	mixedFile, err := write("mixed", mixed)
	if err != nil {
		return err
	}

	if explain {
		for _, q := range []string{commonName, codes[0]} {
			if err := explainLookup(ctx, pool, q); err != nil {
				return err
			}
		}
	}

	// The API's real handlers on a loopback port, logging as `creditcase
	// serve` does (a JSON line per request, at info) into a file.
	logFile, err := os.Create(filepath.Join(d, "api.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	logger, err := logging.New(logFile, "info", logging.JSON)
	if err != nil {
		return err
	}
	logger = logger.With().Str("role", "api").Logger()
	app := application.New(application.Deps{Pool: pool, Logger: logger, BcryptCost: bcrypt.MinCost})
	// The bench measures the lookup, not the limiter: anonymous requests
	// from its one load process are not rate-limited here.
	e := api.New(api.Deps{App: app, Logger: logger, Registry: prometheus.NewRegistry(),
		Limits: ratelimit.Config{ratelimit.Anonymous: {}, ratelimit.Lookup: {}, ratelimit.Login: {}, ratelimit.Objection: {}}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	machine("measurement starts")
	// Warm-up (the caches of PostgreSQL and the pool), then by name and by code.
	if _, err := runLoad(ctx, base, mixedFile, min(rate, 200), 5*time.Second, nil); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	var figs []figures.Figure
	fmt.Printf("public lookup over %d records (%d subjects, realistic names; commonest person name: %d subjects), %d req/s for %s from a separate load process\n",
		n, subjects, commonest, rate, duration)
	fmt.Printf("each request asks a first page of %d records, as a visitor's search does; %.0f %% of the answers with a next page have it asked for next (-follow)\n",
		records.PublicPageSize, 100*loadFollow)
	fmt.Printf("%-34s %8s %8s %8s %8s %8s %10s %6s %6s   %s\n", "load", "sent", "errors", "p50", "p90", "p99", "achieved/s", "load1", "next", "CPU per request: API / PostgreSQL / load process")
	var byName, byCode loadResult
	for _, l := range []struct {
		name, file string
		out        *loadResult
	}{{"by name", namesFile, &byName}, {"by code (identifier)", codesFile, &byCode}} {
		say("load " + l.name)
		var stopProfile func()
		if cpuprofile != "" && l.out == &byName {
			if stopProfile, err = startProfile(cpuprofile); err != nil {
				return err
			}
		}
		r, err := runLoad(ctx, base, l.file, rate, duration, nil)
		if stopProfile != nil {
			stopProfile()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
		*l.out = r
		r.print(l.name)
		figs = append(figs, figures.Goal("4 lookup", fmt.Sprintf("lookup %s p50 / p99 @ %d/s, %s records", l.name, rate, short(n)),
			fmt.Sprintf("%s / %s (%.0f/s achieved, %d errors)", r.P50, r.P99, r.Achieved, r.Errors), "p99 ≤ 20ms", r.P99 <= 20*time.Millisecond && r.Errors == 0),
			// Where the time goes: at 1 000/s on two cores, the three
			// together must stay well under 2 ms a request.
			figures.Report("4 lookup", fmt.Sprintf("CPU per lookup %s @ %d/s: API / PostgreSQL / load process", l.name, rate),
				fmt.Sprintf("%s / %s / %s", r.APICPU.Round(time.Microsecond), r.PGCPU.Round(time.Microsecond), r.LoadCPU.Round(time.Microsecond))))
		if lowRate > 0 {
			lr, err := runLoad(ctx, base, l.file, lowRate, duration, nil)
			if err != nil {
				return fmt.Errorf("%s at %d/s: %w", l.name, lowRate, err)
			}
			lr.print(fmt.Sprintf("%s @ %d/s", l.name, lowRate))
			figs = append(figs, figures.Report("4 lookup", fmt.Sprintf("lookup %s p50 / p99 @ %d/s (no queueing)", l.name, lowRate),
				fmt.Sprintf("%s / %s (%.0f/s achieved)", lr.P50, lr.P99, lr.Achieved)))
		}
	}
	if cpuprofile != "" {
		fmt.Printf("CPU profile of the API (this process) during the by-name load: go tool pprof -top %s\n", cpuprofile)
	}

	// The sweep, with the load running beside it until it ends.
	var due int
	today := calendar.DateOf(time.Now())
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM records WHERE status NOT IN ('archived', 'repaired') AND disclosure_end < $1`, today.Start()).Scan(&due); err != nil {
		return err
	}
	say(fmt.Sprintf("sweep of %d expiring records with the mixed load beside it", due))
	stop := make(chan struct{})
	loadDone := make(chan struct{})
	var during loadResult
	var loadErr error
	go func() {
		defer close(loadDone)
		during, loadErr = runLoad(ctx, base, mixedFile, rate, 30*time.Minute, stop)
	}()
	time.Sleep(2 * time.Second) // the load is running
	sweepStart := time.Now()
	archived, err := sweep(ctx, pool, today, supervision.SweepYield)
	sweepTime := time.Since(sweepStart)
	close(stop)
	<-loadDone
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if loadErr != nil {
		return fmt.Errorf("load during the sweep: %w", loadErr)
	}
	during.print("mixed, during the sweep")
	fmt.Printf("disclosure-expiry sweep: %d of %d records archived in %s (batches of %d, one transaction each, each followed by a rest %.1f× its time; load %.1f)\n",
		archived, n, sweepTime.Round(time.Millisecond), workflows.DisclosureSweepBatch, supervision.SweepYield, figures.Load1())
	base99 := max(byName.P99, byCode.P99)
	figs = append(figs,
		figures.Report("4 lookup", fmt.Sprintf("disclosure sweep, %s records, %d expiring", short(n), archived), sweepTime.Round(time.Millisecond).String()),
		figures.Goal("4 lookup", "lookup p50 / p99 while the sweep runs", fmt.Sprintf("%s / %s (%.1f× the worse of name/code)", during.P50, during.P99, float64(during.P99)/float64(base99)),
			"p99 ≤ 20ms", during.P99 <= 20*time.Millisecond && during.Errors == 0),
		figures.Report("4 lookup", fmt.Sprintf("PostgreSQL size, %s records", short(n)), fmt.Sprintf("%d MiB (%.0f B/record)", size>>20, float64(size)/float64(n))),
	)
	machine("measurement ends")
	if archived != due {
		return fmt.Errorf("the sweep archived %d records, %d were due", archived, due)
	}
	figures.Emit(figs...)
	return nil
}

// RegisterSettings size the bench's PostgreSQL as deploy/README.md asks
// of the server behind a register of millions of records: the embedded
// cluster's development default of 128 MB of shared buffers holds a
// fraction of the lookup's indexes, so a lookup evicts pages another wrote
// and waits for the WAL to be flushed first; checkpoints every 1 GB of WAL
// make the sweep write each index page it touches whole, again and again.
var RegisterSettings = []string{"shared_buffers=2GB", "max_wal_size=8GB", "checkpoint_timeout=15min", "wal_compression=lz4"}

// explainLookup prints the plan of the public lookup's statement for q,
// as executed (a second run: the first warms the caches).
func explainLookup(ctx context.Context, pool *pgxpool.Pool, q string) error {
	sql, args := records.NewStore(pool, nil, nil).PublicLookupPlan(q)
	var plan []string
	for range 2 {
		rows, err := pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
		if err != nil {
			return fmt.Errorf("explain: %w", err)
		}
		if plan, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("explain: %w", err)
		}
	}
	fmt.Printf("plan of the lookup of %q (load %.1f):\n  %s\n", q, figures.Load1(), strings.Join(plan, "\n  "))
	return nil
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func short(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%d M", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%d k", n/1000)
	}
	return fmt.Sprint(n)
}

// sample draws up to k random subjects that have a record, by name and by
// identifier.
func sample(ctx context.Context, pool *pgxpool.Pool, k int) (names, codes []string, err error) {
	var total int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM subjects`).Scan(&total); err != nil {
		return nil, nil, err
	}
	pct := min(100, 100*float64(k)*1.5/float64(max(total, 1)))
	rows, err := pool.Query(ctx, `SELECT name, ident FROM subjects TABLESAMPLE BERNOULLI ($1) REPEATABLE (7) LIMIT $2`, pct, k)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, code string
		if err := rows.Scan(&name, &code); err != nil {
			return nil, nil, err
		}
		names, codes = append(names, name), append(codes, code)
	}
	if len(names) == 0 {
		return nil, nil, errors.New("no subjects")
	}
	return names, codes, rows.Err()
}

// sweep runs the disclosure sweep's batches to the end as the workflow
// does and returns how many records it archived.
func sweep(ctx context.Context, pool *pgxpool.Pool, asOf calendar.Date, yield float64) (int, error) {
	s := &supervision.Sweeper{Pool: pool, Yield: yield}
	runID := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	if err := s.Begin(ctx, runID, asOf); err != nil {
		return 0, err
	}
	var cur supervision.SweepCursor
	for {
		b, err := s.Batch(ctx, runID, asOf, cur, workflows.DisclosureSweepBatch)
		if err != nil {
			return 0, err
		}
		cur = b.Next
		if b.Done {
			break
		}
	}
	r, err := s.Finish(ctx, runID)
	return r.Archived, err
}

// loadResult is what the load process reports.
type loadResult struct {
	Sent     int           `json:"sent"`
	Errors   int           `json:"errors"`
	Late     int           `json:"late"`     // sends that could not start on time (no free slot)
	Followed int           `json:"followed"` // requests that asked a next page
	P50      time.Duration `json:"p50"`
	P90      time.Duration `json:"p90"`
	P99      time.Duration `json:"p99"`
	Max      time.Duration `json:"max"`
	Achieved float64       `json:"achieved"`
	FirstErr string        `json:"first_error,omitempty"`
	// CPU per request answered, measured around the load by the
	// orchestrator: the API (this process), PostgreSQL (its server
	// processes) and the load process itself.
	APICPU, PGCPU, LoadCPU time.Duration `json:"-"`
}

func (r loadResult) print(name string) {
	fmt.Printf("%-34s %8d %8d %8s %8s %8s %10.0f %6.1f %5.1f%%   %s / %s / %s\n", name, r.Sent, r.Errors, r.P50, r.P90, r.P99, r.Achieved, figures.Load1(),
		100*float64(r.Followed)/float64(max(r.Sent, 1)), r.APICPU.Round(time.Microsecond), r.PGCPU.Round(time.Microsecond), r.LoadCPU.Round(time.Microsecond))
	if r.FirstErr != "" {
		fmt.Printf("  first error: %s\n", r.FirstErr)
	}
}

// runLoad runs this program as the load process and reads its result; a
// close of stop ends it early (SIGINT).
func runLoad(ctx context.Context, base, queries string, rate int, d time.Duration, stop <-chan struct{}) (loadResult, error) {
	self, err := os.Executable()
	if err != nil {
		return loadResult{}, err
	}
	cmd := exec.CommandContext(ctx, self, "-role", "load", "-target", base, "-queries", queries,
		"-rate", fmt.Sprint(rate), "-duration", d.String(), "-follow", fmt.Sprint(loadFollow))
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return loadResult{}, err
	}
	if err := cmd.Start(); err != nil {
		return loadResult{}, err
	}
	if stop != nil {
		go func() {
			select {
			case <-stop:
				_ = cmd.Process.Signal(os.Interrupt)
			case <-ctx.Done():
			}
		}()
	}
	api0, pg0 := selfCPU(), serverCPU(pgPID)
	var r loadResult
	decErr := json.NewDecoder(out).Decode(&r)
	if err := cmd.Wait(); err != nil {
		return r, err
	}
	if answered := r.Sent - r.Errors; answered > 0 {
		per := func(d time.Duration) time.Duration { return d / time.Duration(answered) }
		r.APICPU, r.PGCPU = per(selfCPU()-api0), per(serverCPU(pgPID)-pg0)
		r.LoadCPU = per(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime())
	}
	return r, decErr
}

// pgPID is the bench cluster's postmaster, whose CPU time is counted.
var pgPID int

// loadFollow is the -follow of the load processes.
var loadFollow float64

// load is the load process: an open loop at rate requests per second for
// d (or until SIGINT), each request sent at its scheduled instant and timed
// from it; it prints its result as JSON. Each request asks the first page
// of a query, as a visitor's search does, unless a next page is waiting:
// of the answers that have one, a share follow asks for it (at the next
// scheduled instant, in place of a new query, so the rate stays the same).
func load(base, queriesFile string, rate int, d time.Duration, follow float64) error {
	f, err := os.Open(queriesFile)
	if err != nil {
		return err
	}
	var qs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			qs = append(qs, t)
		}
	}
	f.Close()
	if len(qs) == 0 {
		return errors.New("no queries")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	const maxInFlight = 2000
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: maxInFlight, MaxIdleConnsPerHost: maxInFlight, IdleConnTimeout: time.Minute}}
	slots := make(chan struct{}, maxInFlight)
	var mu sync.Mutex
	var lat []time.Duration
	var errs, late int
	var firstErr string
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	end := start.Add(d)
	sent, followed := 0, 0
	nexts := make(chan string, 4*maxInFlight)
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if !at.Before(end) || ctx.Err() != nil {
			break
		}
		if w := time.Until(at); w > 0 {
			select {
			case <-time.After(w):
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		select {
		case slots <- struct{}{}:
		default:
			late++
			slots <- struct{}{}
		}
		sent++
		u := base + "/api/v1/public/records?q=" + url.QueryEscape(qs[i%len(qs)])
		select {
		case u = <-nexts:
			followed++
		default:
		}
		ask := rng.Float64() < follow
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			ok, msg, next := get(hc, u)
			took := time.Since(at)
			if ask && next != "" {
				first, _, _ := strings.Cut(u, "&cursor=")
				select {
				case nexts <- first + "&cursor=" + url.QueryEscape(next):
				default:
				}
			}
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, took)
			if !ok {
				errs++
				if firstErr == "" {
					firstErr = msg
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond)
	}
	r := loadResult{Sent: sent, Errors: errs, Late: late, Followed: followed, P50: q(.5), P90: q(.9), P99: q(.99), Max: q(1),
		Achieved: float64(sent-errs) / elapsed.Seconds(), FirstErr: firstErr}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// get sends one lookup; an answer counts when it is 200 with a record
// list, and gives its next page's cursor ("" on the last page). The body
// is read whole (the connection is reused) but not decoded: the load
// process shares the machine's two cores with what it measures.
func get(hc *http.Client, u string) (bool, string, string) {
	resp, err := hc.Get(u)
	if err != nil {
		return false, err.Error(), ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, "reading the answer: " + err.Error(), ""
	}
	if resp.StatusCode != http.StatusOK {
		return false, resp.Status, ""
	}
	body = bytes.TrimSpace(body)
	if bytes.HasSuffix(body, []byte(`],"next":null}`)) && bytes.HasPrefix(body, []byte(`{"records":[`)) {
		return true, "", ""
	}
	// The cursor is base64url: no escapes in its JSON string.
	i := bytes.LastIndex(body, []byte(`],"next":"`))
	if !bytes.HasPrefix(body, []byte(`{"records":[`)) || i < 0 || !bytes.HasSuffix(body, []byte(`"}`)) {
		return false, fmt.Sprintf("not a page of records: %.80q", body), ""
	}
	return true, "", string(body[i+len(`],"next":"`) : len(body)-2])
}
