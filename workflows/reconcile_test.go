package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/reconcile"
)

// fakeReconciler has open cases "C001".."Cnnn"; a batch checks the next
// Size of them, and every 7th one is repaired.
type fakeReconciler struct {
	mu       sync.Mutex
	open     int
	begun    []activities.ReconcileStart
	cursors  []string
	records  int
	failOnce bool
}

func (f *fakeReconciler) cases(_ context.Context, r activities.ReconcileBatchRequest) (reconcile.Batch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failOnce {
		f.failOnce = false
		return reconcile.Batch{}, errors.New("engine unavailable")
	}
	f.cursors = append(f.cursors, r.Cursor)
	start := 0
	if r.Cursor != "" {
		for i := 1; i <= f.open; i++ {
			if caseName(i) == r.Cursor {
				start = i
			}
		}
	}
	b := reconcile.Batch{Next: r.Cursor}
	for i := start + 1; i <= f.open && b.Checked < r.Size; i++ {
		b.Checked++
		b.Next = caseName(i)
		if i%7 == 0 {
			b.Repaired++
		}
	}
	b.Done = b.Checked < r.Size
	return b, nil
}

func caseName(i int) string {
	return string(rune('A'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

func newReconcileEnv(t *testing.T, f *fakeReconciler) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := newTestEnv(&suite)
	env.RegisterWorkflow(ReconcileWorkflow)
	env.RegisterActivity(reconcileActs)
	env.OnActivity(reconcileActs.BeginReconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, s activities.ReconcileStart) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.begun = append(f.begun, s)
		return nil
	})
	env.OnActivity(reconcileActs.ReconcileCases, mock.Anything, mock.Anything).Return(f.cases)
	env.OnActivity(reconcileActs.ReconcileRecords, mock.Anything, mock.Anything).Return(func(context.Context, string) (reconcile.Batch, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.records++
		return reconcile.Batch{Done: true}, nil
	})
	env.OnActivity(reconcileActs.FinishReconcile, mock.Anything, mock.Anything).Return(func(_ context.Context, id string) (reconcile.Run, error) {
		return reconcile.Run{RunID: id, Checked: f.open}, nil
	})
	return env
}

// A run walks every open case in batches from where the last left off
// (a failed batch is retried after its back-off), then frees orphaned
// records once and finishes.
func TestReconcileWalksEveryOpenCase(t *testing.T) {
	f := &fakeReconciler{open: 25, failOnce: true}
	env := newReconcileEnv(t, f)
	env.ExecuteWorkflow(ReconcileWorkflow, ReconcileInput{RunID: "reconcile:test", Trigger: ReconcileOnDemand, RequestedBy: "sup1", BatchSize: 10})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var run reconcile.Run
	if err := env.GetWorkflowResult(&run); err != nil {
		t.Fatal(err)
	}
	want := []string{"", caseName(10), caseName(20)}
	if len(f.cursors) != 3 || f.cursors[0] != want[0] || f.cursors[1] != want[1] || f.cursors[2] != want[2] {
		t.Errorf("cursors %v, want %v", f.cursors, want)
	}
	if len(f.begun) != 1 || f.begun[0].Trigger != ReconcileOnDemand || f.begun[0].RequestedBy != "sup1" || f.records != 1 || run.RunID != "reconcile:test" {
		t.Errorf("begun %+v, records %d, run %+v", f.begun, f.records, run)
	}
}

// A long run continues as new with its cursor, and does not begin again.
func TestReconcileContinuesAsNewWithItsCursor(t *testing.T) {
	f := &fakeReconciler{open: ReconcileBatchesPerRun + 5}
	env := newReconcileEnv(t, f)
	env.ExecuteWorkflow(ReconcileWorkflow, ReconcileInput{RunID: "reconcile:long", BatchSize: 1})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next ReconcileInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.RunID != "reconcile:long" || next.Cursor != caseName(ReconcileBatchesPerRun) || next.Batches != ReconcileBatchesPerRun || f.records != 0 {
		t.Fatalf("next %+v, records %d", next, f.records)
	}
	f2 := &fakeReconciler{open: f.open}
	env2 := newReconcileEnv(t, f2)
	env2.ExecuteWorkflow(ReconcileWorkflow, next)
	if err := env2.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f2.begun) != 0 || f2.records != 1 || f2.cursors[0] != next.Cursor {
		t.Errorf("second run: begun %d, records %d, first cursor %q", len(f2.begun), f2.records, f2.cursors[0])
	}
}
