// Command objections measures, in one run on one server, how many objection
// cases per second the system opens through its HTTP API, and how many bare
// workflows per second the engine starts (EngineCheckWorkflow: one activity,
// one row), with the same number of concurrent clients; it prints both and
// their ratio.
//
// It starts the whole stack (private PostgreSQL, embedded Temporal, worker,
// API) in a temporary directory, exactly as the integration tests do, seeds
// the demo centre and one record per case to open, logs in as the demo
// subject and then, after a short warm-up:
//
//   - API: N × POST /api/v1/objections (JSON) from C clients; a case counts
//     when the API answered 201 (case registered, workflow started).
//   - Engine: N × ExecuteWorkflow(EngineCheckWorkflow) from C goroutines with
//     the SDK client; a start counts when the server acknowledged it.
//
// The two alternate in rounds so that both see the same machine. For each
// it also reports when every started case had settled: the objection's
// opening work done (record labelled, first deadline computed and stored),
// the engine check's workflow completed; and per case the time from the
// API's 201 to its first deadline row being stored.
//
// Then (issue 20 part 2) the caseworker's actions: -actions cases are taken
// through accept, forward-to-provider, the provider's reply and decide over
// the API (each letter numbered and dated in the step, its PDF made just
// after it: IssueDocument in the activity table), each step followed by a
// no-op Update round trip (a bench workflow on its own task queue of the same server, handled
// by a worker in this process), so both see the same machine; it reports
// p50/p99 of each, where the workflow spent the actions' time by activity
// (from the cases' histories) and, with -cpuprofile, a CPU profile of the
// whole stack during the actions.
//
//	go run ./bench/objections               # -n 200 -c 8 -rounds 4 -actions 40
//	go run ./bench/objections -n 500 -c 16
//	go run ./bench/objections -actions 100 -cpuprofile /tmp/actions.pprof
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/bench/internal/figures"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/stack"
	"github.com/creditcase/creditcase/workflows"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const warmup = 8

func run() error {
	n := flag.Int("n", 200, "cases to open through each path")
	conc := flag.Int("c", 8, "concurrent clients")
	rounds := flag.Int("rounds", 4, "alternating rounds the cases are split into")
	actions := flag.Int("actions", 40, "cases taken through accept, forward, provider reply and decide (0: none)")
	actionConc := flag.Int("action-c", 4, "concurrent clients of the actions")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole stack during the actions")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound on the whole run")
	flag.Parse()
	if *n < 1 || *conc < 1 || *rounds < 1 || *rounds > *n {
		return errors.New("-n, -c and -rounds must be positive, -rounds at most -n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	// World-traversable: PostgreSQL runs as the postgres user when started as root.
	dir, err := os.MkdirTemp("/tmp", "creditcase-bench-objections-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(dir, "stack.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Fprintln(os.Stderr, "starting the stack in", dir)
	sys, err := stack.Start(ctx, stack.Options{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", TemporalLogLevel: "error",
		Logger: zerolog.New(logFile).Level(zerolog.WarnLevel).With().Timestamp().Logger(),
	})
	if err != nil {
		return err
	}
	defer sys.Stop()
	base := "http://" + sys.APIAddr

	recs, err := setup(ctx, sys, *n+warmup+*actions)
	if err != nil {
		return err
	}
	tokens := map[string]string{}
	for _, u := range []string{"subject", "caseworker", "provider"} {
		if tokens[u], err = login(ctx, base, u, seed.DemoPassword); err != nil {
			return err
		}
	}
	token := tokens["subject"]
	workflowIDOf = func(caseNo string) (id string, err error) {
		err = sys.Pool.QueryRow(ctx, `SELECT workflow_id FROM cases WHERE case_no = $1`, caseNo).Scan(&id)
		return id, err
	}
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}
	fileOne := func(ctx context.Context, i int) (string, error) {
		return file(ctx, hc, base, token, recs[i])
	}
	startOne := func(ctx context.Context, i int) (string, error) {
		return startEngineCheck(ctx, sys.Temporal)
	}

	fmt.Fprintf(os.Stderr, "warm-up: %d of each\n", warmup)
	if _, err := burst(ctx, warmup, min(*conc, warmup), func(ctx context.Context, i int) (string, error) { return fileOne(ctx, *n+i) }); err != nil {
		return fmt.Errorf("warm-up API: %w", err)
	}
	if _, err := burst(ctx, warmup, min(*conc, warmup), startOne); err != nil {
		return fmt.Errorf("warm-up engine: %w", err)
	}

	// The two paths alternate in rounds (API first in even rounds, engine
	// first in odd ones), so that a change in the machine's load during the
	// run weighs on both alike; each round waits until its cases settled.
	var apiTotal, engTotal total
	var toDeadline []time.Duration // per case: 201 → first deadline row stored
	for r := range *rounds {
		lo, hi := r**n / *rounds, (r+1)**n / *rounds
		apiRound := func() error {
			res, err := burst(ctx, hi-lo, *conc, func(ctx context.Context, i int) (string, error) { return fileOne(ctx, lo+i) })
			if err != nil {
				return fmt.Errorf("API: %w", err)
			}
			settled, err := settleObjections(ctx, sys, res)
			apiTotal.add(res, settled)
			if err != nil {
				return err
			}
			d, err := firstDeadlines(ctx, sys, res)
			toDeadline = append(toDeadline, d...)
			return err
		}
		engRound := func() error {
			res, err := burst(ctx, hi-lo, *conc, startOne)
			if err != nil {
				return fmt.Errorf("engine: %w", err)
			}
			settled, err := settleEngineChecks(ctx, sys.Temporal, res)
			engTotal.add(res, settled)
			return err
		}
		first, second := apiRound, engRound
		if r%2 == 1 {
			first, second = engRound, apiRound
		}
		fmt.Fprintf(os.Stderr, "round %d/%d: %d cases each way\n", r+1, *rounds, hi-lo)
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
	}

	var figs []figures.Figure
	if *actions > 0 {
		res, err := runActions(ctx, sys, hc, base, tokens, recs[*n+warmup:], *actionConc, *cpuprofile)
		if err != nil {
			return fmt.Errorf("actions: %w", err)
		}
		acts, err := activityTimes(ctx, sys.Temporal, res.cases)
		if err != nil {
			return fmt.Errorf("histories: %w", err)
		}
		figs = append(figs, printActions(res, acts)...)
		if *cpuprofile != "" {
			fmt.Printf("CPU profile of the whole stack during the actions: go tool pprof -top %s\n", *cpuprofile)
		}
		fmt.Println()
	}

	fmt.Printf("objection cases opened: %d per path, %d concurrent clients, %d alternating rounds, one run on one server\n", *n, *conc, *rounds)
	fmt.Printf("%-36s %10s %10s %10s %10s %14s\n", "path", "opened/s", "p50", "p95", "max", "settled/s")
	report := func(name string, t total) {
		fmt.Printf("%-36s %10.1f %10s %10s %10s %14.1f\n", name, t.rate(), t.pct(50), t.pct(95), t.pct(100), t.settledRate())
	}
	report("API  POST /api/v1/objections", apiTotal)
	report("engine  EngineCheckWorkflow start", engTotal)
	p50 := quantile(toDeadline, 50)
	fmt.Printf("201 → first deadline stored, per case: p50 %s, p95 %s, max %s\n", p50, quantile(toDeadline, 95), quantile(toDeadline, 100))
	settledRatio := apiTotal.settledRate() / engTotal.settledRate()
	figs = append([]figures.Figure{
		figures.Report("1 opening", "opened/s API vs bare engine start", fmt.Sprintf("%.1f vs %.1f (%.2f)", apiTotal.rate(), engTotal.rate(), apiTotal.rate()/engTotal.rate())),
		figures.Goal("1 opening", "settled/s API vs bare one-activity workflow", fmt.Sprintf("%.1f vs %.1f (ratio %.2f)", apiTotal.settledRate(), engTotal.settledRate(), settledRatio),
			"ratio ≥ 0.6", settledRatio >= 0.6),
		figures.Report("1 opening", "201 → first deadline stored p50", p50.String()),
	}, figs...)
	figures.Emit(figs...)
	fmt.Printf("ratio API / engine: opened %.2f, settled %.2f\n", apiTotal.rate()/engTotal.rate(), settledRatio)
	return nil
}

// setup seeds the demo centre and gives the demo subject one record per case
// to open (a subject may hold one open objection per record).
func setup(ctx context.Context, sys *stack.Stack, count int) ([]int64, error) {
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		return nil, err
	}
	as := auth.New(sys.Pool, 0)
	subj, err := as.AccountByUsername(ctx, "subject")
	if err != nil {
		return nil, err
	}
	// The records come from the demo provider account's provider, which
	// answers the verification requests of the actions.
	prov, err := as.AccountByUsername(ctx, "provider")
	if err != nil {
		return nil, err
	}
	providerID := prov.ProviderID
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		return nil, err
	}
	st := records.NewStore(sys.Pool, prof, calendar.Default())
	today := calendar.DateOf(time.Now())
	out := make([]int64, 0, count)
	for i := range count {
		rec, err := st.CreateRecord(ctx, audit.System, providerID, records.RecordInput{
			SubjectID: subj.SubjectID, Category: records.Other, Disclosure: records.Authorised,
			Title: "基准测试记录", Content: fmt.Sprintf("第 %d 条", i+1), DecisionNo: fmt.Sprintf("基准〔%d〕%d号", today.Year, i+1),
			DecidedOn: today.AddDays(-10).String(),
		})
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		out = append(out, rec.ID)
	}
	return out, nil
}

func login(ctx context.Context, base, user, password string) (string, error) {
	body, _ := json.Marshal(api.LoginRequest{Username: user, Password: password, Kind: auth.KindBearer, Label: "bench"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var lr api.LoginResponse
	if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("log-in %s: status %d (%v)", user, resp.StatusCode, err)
	}
	return lr.Token, nil
}

// file files one objection through the API and returns its case number.
func file(ctx context.Context, hc *http.Client, base, token string, recordID int64) (string, error) {
	body, _ := json.Marshal(api.FileObjectionRequest{RecordID: recordID, Grounds: []string{"记录内容有误"}, Statement: "请核实并更正"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/objections", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /objections: %d %s", resp.StatusCode, data)
	}
	var f api.FiledObjection
	if err := json.Unmarshal(data, &f); err != nil {
		return "", err
	}
	return f.Case.CaseNo, nil
}

func startEngineCheck(ctx context.Context, c client.Client) (string, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	in := activities.EngineCheck{CheckID: hex.EncodeToString(b), RequestedAt: time.Now().UTC()}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.EngineCheckWorkflowID(in.CheckID), TaskQueue: workflows.TaskQueue,
		WorkflowExecutionTimeout: 5 * time.Minute,
	}, workflows.EngineCheckWorkflow, in)
	if err != nil {
		return "", err
	}
	return run.GetID(), nil
}

// result is one measured burst: what was opened, each call's latency, and
// the wall time from the first call to the last answer.
type result struct {
	ids       []string
	answered  []time.Time // when each call was answered
	latencies []time.Duration
	start     time.Time
	elapsed   time.Duration
}

func (r result) pct(p int) time.Duration {
	l := slices.Clone(r.latencies)
	slices.Sort(l)
	i := (len(l)*p + 99) / 100
	return l[max(0, min(len(l), i)-1)].Round(100 * time.Microsecond)
}

// total sums the rounds of one path: cases opened, time spent opening
// them, time until they settled, and every call's latency.
type total struct {
	opened    int
	elapsed   time.Duration
	settled   time.Duration
	latencies []time.Duration
}

func (t *total) add(r result, settled time.Duration) {
	t.opened += len(r.ids)
	t.elapsed += r.elapsed
	t.settled += settled
	t.latencies = append(t.latencies, r.latencies...)
}

func (t total) rate() float64        { return float64(t.opened) / t.elapsed.Seconds() }
func (t total) settledRate() float64 { return float64(t.opened) / t.settled.Seconds() }
func (t total) pct(p int) time.Duration {
	return result{latencies: t.latencies}.pct(p)
}

// burst calls op for 0..n-1 from c workers and stops at the first error.
func burst(ctx context.Context, n, c int, op func(context.Context, int) (string, error)) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	r := result{ids: make([]string, n), answered: make([]time.Time, n), latencies: make([]time.Duration, n)}
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	r.start = time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t0 := time.Now()
				id, err := op(ctx, i)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				r.ids[i], r.answered[i] = id, time.Now()
				r.latencies[i] = r.answered[i].Sub(t0)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	r.elapsed = time.Since(r.start)
	if firstErr != nil {
		return r, firstErr
	}
	return r, ctx.Err()
}

// settleObjections waits until every case of r has done its opening work
// (its first deadline is on the projection row) and returns the time from
// the burst's start.
func settleObjections(ctx context.Context, sys *stack.Stack, r result) (time.Duration, error) {
	for {
		var done int
		if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE case_no = ANY($1) AND next_due_at IS NOT NULL`, r.ids).Scan(&done); err != nil {
			return 0, err
		}
		if done == len(r.ids) {
			return time.Since(r.start), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("objections settled: %d of %d: %w", done, len(r.ids), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// firstDeadlines returns, per case of r, the time from the API's 201 to the
// storing of its first deadline row (the database's clock and this
// process's are the same machine's).
func firstDeadlines(ctx context.Context, sys *stack.Stack, r result) ([]time.Duration, error) {
	rows, err := sys.Pool.Query(ctx, `SELECT case_no, min(created_at) FROM case_deadlines WHERE case_no = ANY($1) GROUP BY case_no`, r.ids)
	if err != nil {
		return nil, err
	}
	stored := map[string]time.Time{}
	for rows.Next() {
		var no string
		var at time.Time
		if err := rows.Scan(&no, &at); err != nil {
			return nil, err
		}
		stored[no] = at
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]time.Duration, 0, len(r.ids))
	for i, no := range r.ids {
		at, ok := stored[no]
		if !ok {
			return nil, fmt.Errorf("case %s has no deadline row", no)
		}
		out = append(out, max(0, at.Sub(r.answered[i])))
	}
	return out, nil
}

// settleEngineChecks waits for every started engine check to complete.
func settleEngineChecks(ctx context.Context, c client.Client, r result) (time.Duration, error) {
	for _, id := range r.ids {
		if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			return 0, fmt.Errorf("engine check %s: %w", strings.TrimPrefix(id, "engine-check:"), err)
		}
	}
	return time.Since(r.start), nil
}
