package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/bench/internal/figures"
	"github.com/creditcase/creditcase/internal/stack"
)

// noopQueue is the task queue of the bench's own no-op workflow: the same
// server, a worker in this process, no activity, no database.
const noopQueue = "bench-noop"

// NoopWorkflow answers the Update "noop" with nothing until it is
// terminated: the bare cost of an Update round trip through the engine.
func NoopWorkflow(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, "noop", func(workflow.Context) error { return nil }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return false })
}

// actionStep is one caseworker (or provider) step through the API.
type actionStep struct {
	user, action string
	body         map[string]string
	after        string // the stage the answer must report
}

var actionSteps = []actionStep{
	{"caseworker", "accept", nil, "centre_check"},
	{"caseworker", "forward-to-provider", map[string]string{"note": "请核实该记录"}, "provider_verification"},
	{"provider", "provider-reply", map[string]string{"finding": "accurate", "reasons": "经核对原始文件，记录准确"}, "deciding"},
	{"caseworker", "decide", map[string]string{"outcome": "upheld", "reasons": "经信息提供单位核实，记录准确，予以维持"}, "closed"},
}

// actionResult holds every step's latency and the no-op Updates'.
type actionResult struct {
	mu sync.Mutex
	// timeouts counts steps the API answered 503 (its engine timeout ran
	// out); their latency is the time until the case reached the step's
	// stage all the same.
	timeouts map[string]int
	steps    map[string][]time.Duration
	noop     []time.Duration
	cases    []string
}

func (r *actionResult) add(name string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "noop" {
		r.noop = append(r.noop, d)
		return
	}
	r.steps[name] = append(r.steps[name], d)
}

func quantile(l []time.Duration, p int) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return result{latencies: l}.pct(p)
}

// runActions files len(recs) cases, waits until they are on file, then
// takes each through the steps from conc clients, a no-op Update after
// every step.
func runActions(ctx context.Context, sys *stack.Stack, hc *http.Client, base string, tokens map[string]string, recs []int64, conc int, cpuprofile string) (*actionResult, error) {
	w := worker.New(sys.Temporal, noopQueue, worker.Options{})
	w.RegisterWorkflow(NoopWorkflow)
	if err := w.Start(); err != nil {
		return nil, err
	}
	defer w.Stop()
	noopIDs := make([]string, conc)
	for i := range noopIDs {
		noopIDs[i] = fmt.Sprintf("bench-noop-%d-%d", time.Now().UnixNano(), i)
		if _, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: noopIDs[i], TaskQueue: noopQueue,
			WorkflowExecutionTimeout: time.Hour}, NoopWorkflow); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, id := range noopIDs {
			_ = sys.Temporal.TerminateWorkflow(context.Background(), id, "", "bench done")
		}
	}()
	noop := func(ctx context.Context, id string) (time.Duration, error) {
		t0 := time.Now()
		h, err := sys.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: "noop",
			WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		return time.Since(t0), err
	}

	res := &actionResult{steps: map[string][]time.Duration{}, timeouts: map[string]int{}}
	fmt.Fprintf(os.Stderr, "actions: filing %d cases\n", len(recs))
	r, err := burst(ctx, len(recs), conc, func(ctx context.Context, i int) (string, error) {
		return file(ctx, hc, base, tokens["subject"], recs[i])
	})
	if err != nil {
		return nil, err
	}
	if _, err := settleObjections(ctx, sys, r); err != nil {
		return nil, err
	}
	res.cases = r.ids
	// Warm the no-op path (first Update of each workflow loads it).
	for _, id := range noopIDs {
		if _, err := noop(ctx, id); err != nil {
			return nil, fmt.Errorf("no-op update: %w", err)
		}
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	fmt.Fprintf(os.Stderr, "actions: %d cases × %d steps, %d clients\n", len(recs), len(actionSteps), conc)
	_, err = burst(ctx, len(r.ids), conc, func(ctx context.Context, i int) (string, error) {
		caseNo := r.ids[i]
		id := noopIDs[i%conc]
		for _, s := range actionSteps {
			t0 := time.Now()
			d, err := step(ctx, hc, base, tokens[s.user], caseNo, s)
			var slow errEngineTimeout
			if errors.As(err, &slow) {
				// The API gave up waiting; the workflow carries on.
				if err := waitStage(ctx, sys, caseNo, s.after); err != nil {
					return "", err
				}
				d, err = time.Since(t0), nil
				res.mu.Lock()
				res.timeouts[s.action]++
				res.mu.Unlock()
			}
			if err != nil {
				return "", err
			}
			res.add(s.action, d)
			nd, err := noop(ctx, id)
			if err != nil {
				return "", fmt.Errorf("no-op update: %w", err)
			}
			res.add("noop", nd)
		}
		return caseNo, nil
	})
	return res, err
}

func step(ctx context.Context, hc *http.Client, base, token, caseNo string, s actionStep) (time.Duration, error) {
	var body []byte
	if s.body != nil {
		body, _ = json.Marshal(s.body)
	} else {
		body = []byte("{}")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/objections/"+url.PathEscape(caseNo)+"/"+s.action, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	t0 := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	var st struct {
		Stage string `json:"stage"`
	}
	if resp.StatusCode == http.StatusServiceUnavailable {
		return d, errEngineTimeout{fmt.Sprintf("%s %s: 503 after %s: %s", caseNo, s.action, d.Round(time.Millisecond), data)}
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &st) != nil || st.Stage != s.after {
		return 0, fmt.Errorf("%s %s: %d, want stage %s: %s", caseNo, s.action, resp.StatusCode, s.after, data)
	}
	return d, nil
}

// errEngineTimeout is a 503 of the API: it waited for the engine longer
// than its timeout.
type errEngineTimeout struct{ msg string }

func (e errEngineTimeout) Error() string { return e.msg }

// waitStage waits until the case's projection row shows stage.
func waitStage(ctx context.Context, sys *stack.Stack, caseNo, stage string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		var got string
		if err := sys.Pool.QueryRow(ctx, `SELECT stage FROM cases WHERE case_no = $1`, caseNo).Scan(&got); err != nil {
			return fmt.Errorf("%s: waiting for stage %s: %w", caseNo, stage, err)
		}
		if got == stage {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// activityTimes reads the cases' histories and sums, per activity type, the
// time from scheduled to completed of the activities that ran after the
// case was opened (the actions' work), and per case the workflow's whole
// handling of the actions.
func activityTimes(ctx context.Context, c client.Client, caseIDs []string) (map[string][]time.Duration, error) {
	out := map[string][]time.Duration{}
	for _, caseNo := range caseIDs {
		id, err := workflowIDOf(caseNo)
		if err != nil {
			return nil, err
		}
		it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		scheduled := map[int64]struct {
			name string
			at   time.Time
		}{}
		updates := 0
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return nil, err
			}
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
				updates++
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				if updates > 0 {
					scheduled[e.GetEventId()] = struct {
						name string
						at   time.Time
					}{e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName(), e.GetEventTime().AsTime()}
				}
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				a := e.GetActivityTaskCompletedEventAttributes()
				if s, ok := scheduled[a.GetScheduledEventId()]; ok {
					out[s.name] = append(out[s.name], e.GetEventTime().AsTime().Sub(s.at))
				}
			}
		}
	}
	return out, nil
}

// workflowIDOf finds a case's workflow ID in its projection row.
var workflowIDOf func(caseNo string) (string, error)

func printActions(res *actionResult, acts map[string][]time.Duration) []figures.Figure {
	fmt.Printf("caseworker actions through the API (letters numbered in the step, rendered after it) vs a no-op Update on the same server: %d cases, each step followed by a no-op Update\n", len(res.cases))
	fmt.Printf("%-36s %6s %10s %10s %10s %10s\n", "step", "n", "p50", "p99", "max", "p99/no-op")
	np99 := quantile(res.noop, 99)
	fmt.Printf("%-36s %6d %10s %10s %10s %10s\n", "no-op Update (bench workflow)", len(res.noop), quantile(res.noop, 50), np99, quantile(res.noop, 100), "1.00")
	var figs []figures.Figure
	figs = append(figs, figures.Report("2 actions", "no-op Update p50 / p99", fmt.Sprintf("%s / %s", quantile(res.noop, 50), np99)))
	for _, s := range actionSteps {
		l := res.steps[s.action]
		p99 := quantile(l, 99)
		ratio := float64(p99) / float64(np99)
		fmt.Printf("%-36s %6d %10s %10s %10s %10.2f\n", "POST …/"+s.action, len(l), quantile(l, 50), p99, quantile(l, 100), ratio)
		if t := res.timeouts[s.action]; t > 0 {
			fmt.Printf("  %d of %d answered 503 (the API's engine timeout); counted until the case reached %s\n", t, len(l), s.after)
		}
		if s.action == "provider-reply" {
			continue // the issue asks for the caseworker's steps
		}
		v := fmt.Sprintf("%s / %s (%.1f×)", quantile(l, 50), p99, ratio)
		if t := res.timeouts[s.action]; t > 0 {
			v += fmt.Sprintf(", %d × 503", t)
		}
		figs = append(figs, figures.Goal("2 actions", s.action+" p50 / p99 (× no-op p99)", v, "p99 ≤ 2× no-op", ratio <= 2 && res.timeouts[s.action] == 0))
	}
	// Where the workflow spent the actions' time, by activity type.
	type row struct {
		name  string
		n     int
		total time.Duration
		l     []time.Duration
	}
	var rows []row
	var all time.Duration
	for name, l := range acts {
		var t time.Duration
		for _, d := range l {
			t += d
		}
		all += t
		rows = append(rows, row{name, len(l), t, l})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].total > rows[j].total })
	fmt.Println("activities run by these actions (scheduled → completed, from the cases' histories):")
	fmt.Printf("%-36s %6s %10s %10s %8s\n", "activity", "n", "p50", "p99", "share")
	for _, r := range rows {
		fmt.Printf("%-36s %6d %10s %10s %7.0f%%\n", r.name, r.n, quantile(r.l, 50), quantile(r.l, 99), 100*float64(r.total)/float64(all))
		if r.name == "IssueDocument" {
			figs = append(figs, figures.Report("2 actions", "IssueDocument p50 / p99, share of activity time",
				fmt.Sprintf("%s / %s, %.0f%%", quantile(r.l, 50), quantile(r.l, 99), 100*float64(r.total)/float64(all))))
		}
	}
	return figs
}
