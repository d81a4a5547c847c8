package main

// The reconciler beside the cases at rest. The worker keeps a Temporal
// Schedule that starts a reconciliation pass every
// workflows.ReconcileEvery; a pass compares the open cases with the engine.
// A long -advance (a seeding run) may pause that schedule and end a pass in
// flight (-pause-reconciler), through the Temporal client's public API, so
// that the two do not compete for the CPU; the worker's EnsureSchedules
// keeps an operator's pause, so a measuring run unpauses it again: the
// product is measured as deployed.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/workflows"
)

// pauseNote is the note the bench leaves on the schedule it pauses.
const pauseNote = "paused by bench/atrest -pause-reconciler for a long advance; a measuring run unpauses it"

func (b *bench) temporalClient() (client.Client, error) {
	return client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", b.port), Logger: quiet{}})
}

// runningReconciles are the reconciliation runs the engine has running.
func runningReconciles(ctx context.Context, tc client.Client) ([]string, error) {
	var ids []string
	var token []byte
	for {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query:         "WorkflowType = 'ReconcileWorkflow' AND ExecutionStatus = 'Running'",
			NextPageToken: token,
		})
		if err != nil {
			return nil, err
		}
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ids, nil
		}
	}
}

// pauseReconciler pauses the reconciler's schedule and terminates the
// passes in flight, and says so.
func (b *bench) pauseReconciler(ctx context.Context) error {
	tc, err := b.temporalClient()
	if err != nil {
		return err
	}
	defer tc.Close()
	h := tc.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	if err := h.Pause(ctx, client.SchedulePauseOptions{Note: pauseNote}); err != nil {
		return fmt.Errorf("pause the schedule %q: %w", workflows.ReconcileScheduleID, err)
	}
	ids, err := runningReconciles(ctx, tc)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tc.TerminateWorkflow(ctx, id, "", pauseNote); err != nil {
			return fmt.Errorf("terminate the reconciliation %s: %w", id, err)
		}
	}
	say(fmt.Sprintf("reconciler: schedule %q PAUSED (-pause-reconciler); %d pass(es) in flight terminated %v — the next measuring run unpauses it",
		workflows.ReconcileScheduleID, len(ids), ids))
	return nil
}

// unpauseReconciler lifts a pause of the reconciler's schedule (a measuring
// run's first step), and says whether there was one.
func (b *bench) unpauseReconciler(ctx context.Context) error {
	tc, err := b.temporalClient()
	if err != nil {
		return err
	}
	defer tc.Close()
	h := tc.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	d, err := h.Describe(ctx)
	if err != nil {
		return fmt.Errorf("describe the schedule %q: %w", workflows.ReconcileScheduleID, err)
	}
	if d.Schedule.State == nil || !d.Schedule.State.Paused {
		say(fmt.Sprintf("reconciler: schedule %q runs (not paused)", workflows.ReconcileScheduleID))
		return nil
	}
	if err := h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: "unpaused by bench/atrest: measured as deployed"}); err != nil {
		return fmt.Errorf("unpause the schedule %q: %w", workflows.ReconcileScheduleID, err)
	}
	say(fmt.Sprintf("reconciler: schedule %q UNPAUSED (was paused: %q)", workflows.ReconcileScheduleID, d.Schedule.State.Note))
	return nil
}

// passesDuring counts the reconciliation runs that started between from
// and to (reconcile_runs), the window having begun with none running (the
// engine's list, waitNoPass). A row without finished_at is no sign of a
// pass running: a terminated run's row is never finished.
func (b *bench) passesDuring(ctx context.Context, from, to time.Time) (int, error) {
	var n int
	err := b.pool.QueryRow(ctx, `SELECT count(*) FROM reconcile_runs WHERE started_at >= $1 AND started_at < $2`, from, to).Scan(&n)
	return n, err
}

// waitNoPass waits until no reconciliation runs (a scheduled pass may be
// going when a measuring run starts), at most within; it answers how long
// it waited and whether passes still run.
func (b *bench) waitNoPass(ctx context.Context, within time.Duration) (time.Duration, []string, error) {
	tc, err := b.temporalClient()
	if err != nil {
		return 0, nil, err
	}
	defer tc.Close()
	t0 := time.Now()
	for {
		ids, err := runningReconciles(ctx, tc)
		if err != nil || len(ids) == 0 || time.Since(t0) > within {
			return time.Since(t0), ids, err
		}
		select {
		case <-ctx.Done():
			return time.Since(t0), ids, ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}

// pass is a reconciliation run on demand and the CPU it cost.
type pass struct {
	id       string
	took     time.Duration
	finished bool           // false: -reconcile-for ran out and the bench ended it
	summary  map[string]any // the run's row in reconcile_runs, every column
	cpu      map[string]float64
}

// reconcileNow starts one reconciliation as a supervisor's POST
// /api/v1/reconciliations does (same workflow, same input, trigger
// "demand"; through the Temporal client so that a pass longer than the
// API's ReconcileTimeout is still waited for), waits for it at most
// within, and measures the roles' CPU while it runs. A pass that outlasts
// within is terminated (its row keeps how far it came).
func (b *bench) reconcileNow(ctx context.Context, within time.Duration, roles []cpuRole) (pass, error) {
	p := pass{id: fmt.Sprintf("%s:bench-%d", workflows.ReconcileWorkflowID, time.Now().UnixNano())}
	tc, err := b.temporalClient()
	if err != nil {
		return p, err
	}
	defer tc.Close()
	cpu0 := cpuOf(roles)
	t0 := time.Now()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: p.id, TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflow, workflows.ReconcileInput{Trigger: workflows.ReconcileOnDemand, RequestedBy: "bench/atrest"})
	if err != nil {
		return p, err
	}
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var out map[string]any
	err = run.Get(wctx, &out)
	p.took = time.Since(t0)
	p.cpu = cpuSince(roles, cpu0, p.took)
	switch {
	case err == nil:
		p.finished = true
	case wctx.Err() != nil && ctx.Err() == nil:
		if terr := tc.TerminateWorkflow(ctx, p.id, "", "bench/atrest: -reconcile-for ran out"); terr != nil {
			return p, terr
		}
	default:
		return p, err
	}
	var row []byte
	if err := b.pool.QueryRow(ctx, `SELECT row_to_json(r)::text FROM reconcile_runs r WHERE run_id = $1`, p.id).Scan(&row); err != nil {
		return p, fmt.Errorf("the run's row in reconcile_runs: %w", err)
	}
	if err := json.Unmarshal(row, &p.summary); err != nil {
		return p, err
	}
	return p, nil
}

// counts is the run's counters as "name n" pairs, every numeric column of
// its row (checked, repaired, flagged and whatever the reconciler adds).
func (p pass) counts() string {
	var keys []string
	for k, v := range p.summary {
		if _, ok := v.(float64); ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %v", k, p.summary[k]))
	}
	return strings.Join(parts, ", ")
}

// cpuRole is a process whose CPU is counted, with its children when
// family is set (PostgreSQL: the postmaster and its backends).
type cpuRole struct {
	name   string
	pid    int
	family bool
}

func (b *bench) cpuRoles() []cpuRole {
	return []cpuRole{{"worker", b.worker.PID(), false}, {"engine", b.engine.PID(), false}, {"api", b.api.PID(), false}, {"postgres", b.pg.PID(), true}}
}

func cpuOf(roles []cpuRole) map[string]float64 {
	m := map[string]float64{}
	for _, r := range roles {
		m[r.name] = cpuSeconds(r.pid)
		if r.family {
			for _, c := range childrenOf(r.pid) {
				m[r.name] += cpuSeconds(c)
			}
		}
	}
	return m
}

// cpuSince is each role's CPU since cpu0 in per cent of a core over d.
func cpuSince(roles []cpuRole, cpu0 map[string]float64, d time.Duration) map[string]float64 {
	now := cpuOf(roles)
	m := map[string]float64{}
	for _, r := range roles {
		m[r.name] = max(0, 100*(now[r.name]-cpu0[r.name])/d.Seconds())
	}
	return m
}

// childrenOf are the processes whose parent is pid.
func childrenOf(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c))
		if err != nil {
			continue
		}
		s := string(data)
		fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fs) > 1 && fs[1] == strconv.Itoa(pid) {
			out = append(out, c)
		}
	}
	return out
}
