package workflows

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
)

// fakeRecompute plays the database of a recompute run: the open cases the
// revision concerns, which were signalled, and when each reports done.
type fakeRecompute struct {
	mu        sync.Mutex
	cases     []string // sorted
	signalled map[string]bool
	done      map[string]bool
	polls     int
	// doneAfterPolls: every signalled case is done from this poll on
	// (0 = never: the run must stop waiting by itself).
	doneAfterPolls int
	begun          int
	finished       int
}

func newFakeRecompute(n, doneAfterPolls int) *fakeRecompute {
	f := &fakeRecompute{signalled: map[string]bool{}, done: map[string]bool{}, doneAfterPolls: doneAfterPolls}
	for i := 1; i <= n; i++ {
		f.cases = append(f.cases, fmt.Sprintf("YY2027-%06d", i))
	}
	sort.Strings(f.cases)
	return f
}

func (f *fakeRecompute) progress() activities.RecomputeProgress {
	p := activities.RecomputeProgress{Revision: 2, Cases: len(f.signalled)}
	for c := range f.signalled {
		if f.done[c] {
			p.Done++
		}
	}
	return p
}

func newRecomputeEnv(t *testing.T, f *fakeRecompute) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := newTestEnv(&suite)
	env.SetStartTime(sh(2027, 1, 10, 9))
	env.RegisterWorkflow(CalendarRecomputeWorkflow)
	env.RegisterActivity(cases)
	env.OnActivity(cases.BeginRecompute, mockCtx, mockAny).Return(func(context.Context, activities.RecomputeRun) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.begun++
		return nil
	})
	env.OnActivity(cases.AffectedCases, mockCtx, mockAny).Return(func(_ context.Context, r activities.AffectedRequest) ([]activities.CaseTarget, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var out []activities.CaseTarget
		for _, c := range f.cases {
			if c > r.After && len(out) < r.Limit {
				out = append(out, activities.CaseTarget{CaseNo: c, WorkflowID: "objection:" + c})
			}
		}
		return out, nil
	})
	env.OnSignalExternalWorkflow(mockAny, mockAny, mockAny, SignalCalendarChanged, mockAny).Return(
		func(_, workflowID, _, _ string, arg any) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			if ch, ok := arg.(CalendarChange); !ok || ch.Revision != 2 {
				t.Errorf("signal payload %#v", arg)
			}
			f.signalled[workflowID[len("objection:"):]] = true
			return nil
		})
	env.OnActivity(cases.Progress, mockCtx, mockAny).Return(func(context.Context, int64) (activities.RecomputeProgress, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.polls++
		if f.doneAfterPolls > 0 && f.polls >= f.doneAfterPolls {
			for c := range f.signalled {
				f.done[c] = true
			}
		}
		return f.progress(), nil
	})
	env.OnActivity(cases.FinishRecompute, mockCtx, mockAny).Return(func(context.Context, int64) (activities.RecomputeProgress, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.finished++
		p := f.progress()
		p.State = "done"
		return p, nil
	})
	return env
}

// The run signals every case the revision concerns, page by page, then
// polls on a timer until all have recomputed, and stores the summary.
func TestCalendarRecomputeSignalsEveryCaseAndWaits(t *testing.T) {
	f := newFakeRecompute(2*CalendarRecomputeBatch+7, 3)
	env := newRecomputeEnv(t, f)
	start := env.Now()
	env.ExecuteWorkflow(CalendarRecomputeWorkflow, CalendarRecomputeInput{Revision: 2, Reason: "2027 notice"})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var sum activities.RecomputeProgress
	if err := env.GetWorkflowResult(&sum); err != nil {
		t.Fatal(err)
	}
	if sum.Cases != len(f.cases) || sum.Done != len(f.cases) || sum.State != "done" {
		t.Errorf("summary %+v; want all %d cases done", sum, len(f.cases))
	}
	if f.begun != 1 || f.finished != 1 || f.polls != 3 {
		t.Errorf("begun %d, finished %d, polls %d; want 1, 1, 3", f.begun, f.finished, f.polls)
	}
	// Two polls came back short: two timers of CalendarRecomputePoll.
	if waited := env.Now().Sub(start); waited < 2*CalendarRecomputePoll {
		t.Errorf("waited %s; want at least two polls of %s", waited, CalendarRecomputePoll)
	}
}

// Cases that never report (a stuck case) do not hold the run forever: it
// stops waiting after CalendarRecomputeMaxWait and stores what it has.
func TestCalendarRecomputeStopsWaitingAfterMaxWait(t *testing.T) {
	f := newFakeRecompute(3, 0)
	env := newRecomputeEnv(t, f)
	start := env.Now()
	env.ExecuteWorkflow(CalendarRecomputeWorkflow, CalendarRecomputeInput{Revision: 2, Reason: "2027 notice"})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var sum activities.RecomputeProgress
	_ = env.GetWorkflowResult(&sum)
	if sum.Cases != 3 || sum.Done != 0 || f.finished != 1 {
		t.Errorf("summary %+v, finished %d", sum, f.finished)
	}
	if waited := env.Now().Sub(start); waited < CalendarRecomputeMaxWait || waited > CalendarRecomputeMaxWait+2*CalendarRecomputePoll {
		t.Errorf("waited %s; want about %s", waited, CalendarRecomputeMaxWait)
	}
}

// A long run continues as new with its cursor after
// CalendarRecomputeBatchesPerRun pages; the next run goes on from there.
func TestCalendarRecomputeContinuesAsNew(t *testing.T) {
	f := newFakeRecompute(CalendarRecomputeBatch*CalendarRecomputeBatchesPerRun+1, 1)
	env := newRecomputeEnv(t, f)
	env.ExecuteWorkflow(CalendarRecomputeWorkflow, CalendarRecomputeInput{Revision: 2, Reason: "2027 notice"})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("error %v; want continue-as-new", err)
	}
	var next CalendarRecomputeInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Cursor != f.cases[len(f.cases)-2] || next.Signalled != len(f.cases)-1 || !next.WaitedSince.IsZero() {
		t.Errorf("continued with %+v", next)
	}
	env2 := newRecomputeEnv(t, f)
	env2.ExecuteWorkflow(CalendarRecomputeWorkflow, next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.signalled) != len(f.cases) || f.begun != 1 {
		t.Errorf("signalled %d of %d, begun %d times", len(f.signalled), len(f.cases), f.begun)
	}
}
