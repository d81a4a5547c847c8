package workflows

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/supervision"
)

// fakeSweepStore is an in-memory store with the Sweeper's contract: records
// with a disclosure end, archived once, keyset on (end, id).
type fakeSweepStore struct {
	mu       sync.Mutex
	ends     map[int64]calendar.Date
	archived map[int64]string // id → run that archived it
	begun    []string
	finished []string
	calls    int
	failOnce bool // the first batch call fails (a transient error): the activity is retried
}

func (s *fakeSweepStore) batch(_ context.Context, r activities.SweepBatchRequest) (supervision.SweepBatch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failOnce {
		s.failOnce = false
		return supervision.SweepBatch{}, errors.New("connection reset")
	}
	var out supervision.SweepBatch
	out.Next = r.Cursor
	ids := slices.SortedFunc(maps.Keys(s.ends), func(a, b int64) int {
		if c := s.ends[a].Compare(s.ends[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, id := range ids {
		if out.Archived == r.Size {
			break
		}
		end := s.ends[id]
		if _, done := s.archived[id]; done || !end.Before(r.AsOf) {
			continue
		}
		if r.Cursor.End != "" {
			c := calendar.MustParseDate(r.Cursor.End)
			if end.Before(c) || (end == c && id <= r.Cursor.ID) {
				continue
			}
		}
		s.archived[id] = r.RunID
		out.Archived++
		out.Next = supervision.SweepCursor{End: end.String(), ID: id}
	}
	out.Done = out.Archived < r.Size
	return out, nil
}

func newSweepEnv(t *testing.T, store *fakeSweepStore, start time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := newTestEnv(&suite)
	env.SetStartTime(start)
	env.RegisterWorkflow(DisclosureSweepWorkflow)
	env.RegisterActivity(sweep)
	env.OnActivity(sweep.BeginDisclosureSweep, mock.Anything, mock.Anything).Return(func(_ context.Context, s activities.SweepStart) error {
		store.mu.Lock()
		defer store.mu.Unlock()
		store.begun = append(store.begun, s.RunID+"@"+s.AsOf.String())
		return nil
	})
	env.OnActivity(sweep.SweepDisclosureBatch, mock.Anything, mock.Anything).Return(store.batch)
	env.OnActivity(sweep.FinishDisclosureSweep, mock.Anything, mock.Anything).Return(func(_ context.Context, run string) (supervision.SweepRun, error) {
		store.mu.Lock()
		defer store.mu.Unlock()
		store.finished = append(store.finished, run)
		n := 0
		for _, r := range store.archived {
			if r == run {
				n++
			}
		}
		return supervision.SweepRun{RunID: run, Archived: n}, nil
	})
	return env
}

func newFakeStore(n int) *fakeSweepStore {
	s := &fakeSweepStore{ends: map[int64]calendar.Date{}, archived: map[int64]string{}}
	for i := 1; i <= n; i++ {
		// Ends spread over 2026-02-08 … 2026-02-17: those before 02-14 go.
		s.ends[int64(i)] = calendar.NewDate(2026, 2, 8+i%10)
	}
	return s
}

// Scheduled at 00:10 Asia/Shanghai on 2026-02-14 (16:10 UTC the day
// before), the sweep runs as of 02-14, archives in batches until a short
// batch, survives a transient activity failure, and a second run changes
// nothing.
func TestDisclosureSweepWorkflow(t *testing.T) {
	store := newFakeStore(95)
	store.failOnce = true
	start := time.Date(2026, 2, 13, 16, 10, 0, 0, time.UTC)
	want := 0
	for _, e := range store.ends {
		if e.Before(calendar.NewDate(2026, 2, 14)) {
			want++
		}
	}
	env := newSweepEnv(t, store, start)
	env.SetStartWorkflowOptions(sweepRunOptions("disclosure-sweep-1"))
	env.ExecuteWorkflow(DisclosureSweepWorkflow, DisclosureSweepInput{BatchSize: 10})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var sum supervision.SweepRun
	if err := env.GetWorkflowResult(&sum); err != nil {
		t.Fatal(err)
	}
	if sum.Archived != want || len(store.archived) != want || want != 59 {
		t.Errorf("archived %d (store %d); want %d", sum.Archived, len(store.archived), want)
	}
	if len(store.begun) != 1 || store.begun[0] != "disclosure-sweep-1@2026-02-14" {
		t.Errorf("begun %v; want one run as of 2026-02-14 (Asia/Shanghai)", store.begun)
	}
	// 59 records in batches of 10: 6 batches + the failed attempt.
	if store.calls != 7 {
		t.Errorf("%d batch calls; want 7 (6 batches, one retried)", store.calls)
	}

	before := len(store.archived)
	env2 := newSweepEnv(t, store, start.Add(time.Hour))
	env2.SetStartWorkflowOptions(sweepRunOptions("disclosure-sweep-2"))
	env2.ExecuteWorkflow(DisclosureSweepWorkflow, DisclosureSweepInput{BatchSize: 10})
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var sum2 supervision.SweepRun
	if err := env2.GetWorkflowResult(&sum2); err != nil {
		t.Fatal(err)
	}
	if sum2.Archived != 0 || len(store.archived) != before {
		t.Errorf("second run archived %d (store %d → %d); want nothing", sum2.Archived, before, len(store.archived))
	}
	if len(store.finished) != 2 {
		t.Errorf("finished %v; want both runs", store.finished)
	}
}

// A long run continues as new after DisclosureSweepBatchesPerRun batches,
// carrying its cursor and totals; the next run resumes from the cursor
// without beginning the run again.
func TestDisclosureSweepContinuesAsNew(t *testing.T) {
	store := newFakeStore(DisclosureSweepBatchesPerRun*2 + 30)
	env := newSweepEnv(t, store, time.Date(2026, 2, 13, 16, 10, 0, 0, time.UTC))
	env.SetStartWorkflowOptions(sweepRunOptions("disclosure-sweep-long"))
	env.ExecuteWorkflow(DisclosureSweepWorkflow, DisclosureSweepInput{BatchSize: 1})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("error %v; want continue-as-new", err)
	}
	if store.calls != DisclosureSweepBatchesPerRun || len(store.finished) != 0 {
		t.Fatalf("%d batches, finished %v before continuing", store.calls, store.finished)
	}
	var next DisclosureSweepInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.RunID != "disclosure-sweep-long" || next.Batches != DisclosureSweepBatchesPerRun || next.Archived != DisclosureSweepBatchesPerRun ||
		next.Cursor.ID == 0 || next.AsOf != calendar.NewDate(2026, 2, 14) {
		t.Fatalf("continued with %+v", next)
	}
	env2 := newSweepEnv(t, store, time.Date(2026, 2, 13, 17, 0, 0, 0, time.UTC))
	env2.SetStartWorkflowOptions(sweepRunOptions("disclosure-sweep-long"))
	env2.ExecuteWorkflow(DisclosureSweepWorkflow, next)
	for {
		err := env2.GetWorkflowError()
		if !errors.As(err, &can) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatal(err)
		}
		env2 = newSweepEnv(t, store, time.Date(2026, 2, 13, 18, 0, 0, 0, time.UTC))
		env2.SetStartWorkflowOptions(sweepRunOptions("disclosure-sweep-long"))
		env2.ExecuteWorkflow(DisclosureSweepWorkflow, next)
	}
	want := 0
	for _, e := range store.ends {
		if e.Before(calendar.NewDate(2026, 2, 14)) {
			want++
		}
	}
	if len(store.archived) != want || len(store.begun) != 1 || len(store.finished) != 1 {
		t.Errorf("archived %d of %d; begun %v, finished %v", len(store.archived), want, store.begun, store.finished)
	}
}

func sweepRunOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: TaskQueue}
}
