package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/worker"
)

// slowStepWorkflow is one workflow step that holds its goroutine for
// 1.5 s without yielding, as a case's step does when the machine is busy
// and the step waits for a CPU.
func slowStepWorkflow(ctx workflow.Context) (string, error) {
	time.Sleep(1500 * time.Millisecond)
	return "done", nil
}

// A step that waits for the CPU on a busy machine is not a deadlock: with
// the worker's options (WORKFLOW_DEADLOCK_TIMEOUT, default 10 s) the step
// completes at its first attempt, where the Temporal SDK's default of one
// second fails the workflow task as "potential deadlock" and retries it —
// meanwhile an Update to the case is refused.
func TestSlowWorkflowStepIsNoDeadlock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := func(opts sdkworker.Options) client.WorkflowRun {
		queue := fmt.Sprintf("deadlock-%d", time.Now().UnixNano())
		w := sdkworker.New(sys.Temporal, queue, opts)
		w.RegisterWorkflowWithOptions(slowStepWorkflow, workflow.RegisterOptions{Name: "SlowStep"})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
		r, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: queue, TaskQueue: queue}, "SlowStep")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sys.Temporal.TerminateWorkflow(context.Background(), r.GetID(), "", "test over") })
		return r
	}

	ours := run(worker.Options(worker.Deps{Pool: sys.Pool}))
	var out string
	if err := ours.Get(ctx, &out); err != nil || out != "done" {
		t.Fatalf("with the worker's options the slow step ended with %q, %v", out, err)
	}
	if n := taskFailures(t, ctx, ours.GetID()); n != 0 {
		t.Errorf("with the worker's options the slow step's task failed %d times", n)
	}

	// The SDK's own default: the same step fails as a deadlock.
	theirs := run(sdkworker.Options{})
	deadline := time.Now().Add(30 * time.Second)
	for taskFailures(t, ctx, theirs.GetID()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("with the SDK's default deadlock timeout the slow step's task never failed: the test shows nothing")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// taskFailures counts the failed workflow tasks in a workflow's history.
func taskFailures(t *testing.T, ctx context.Context, id string) int {
	t.Helper()
	n := 0
	it := sys.Temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
			n++
		}
	}
	return n
}
