package integration

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/worker"
	"github.com/creditcase/creditcase/workflows"
)

// A case opens in one workflow task of local activities (ChangeLocalOpening,
// issue 20). A worker that dies after those steps wrote the case, and before
// the engine heard of them, leaves nothing the engine knows: the next worker
// runs every step again. The case must then stand as if opened once: one
// label keeping the record's status from before the objection (not "under
// objection"), one filing event, one first deadline, one audit entry.
//
// Worker A stands for the process killed with -9: its last step (the
// projection row with the first deadline) writes, then never answers, and A
// is stopped without completing the task. Worker B, on the same task queue,
// takes the task when the engine gives it up.
func TestOpeningRunAgainAfterWorkerDeathWritesOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rec := consoleRecord(t, "开业前未办理登记（开案重试）")
	var priorStatus string
	if err := sys.Pool.QueryRow(ctx, `SELECT status FROM records WHERE id = $1`, rec.ID).Scan(&priorStatus); err != nil {
		t.Fatal(err)
	}
	queue := fmt.Sprintf("opening-rerun-%d", time.Now().UnixNano())
	caseNo := fmt.Sprintf("YY-RERUN-%d", time.Now().UnixNano()%1_000_000_000)
	deps := worker.Deps{Pool: sys.Pool, Rules: sys.Rules, Temporal: sys.Temporal}
	real := &activities.Cases{Pool: sys.Pool, Rules: sys.Rules}

	// Worker A: the final projection write of the opening hangs after it
	// wrote, as if the process died right there.
	reached := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	a := sdkworker.New(sys.Temporal, queue, sdkworker.Options{WorkerStopTimeout: time.Second})
	worker.Register(a, deps)
	a.RegisterActivityWithOptions(func(ctx context.Context, row activities.CaseRow) error {
		if err := real.SaveCase(ctx, row); err != nil {
			return err
		}
		if !row.NextDueAt.IsZero() && activity.GetInfo(ctx).IsLocalActivity {
			once.Do(func() { close(reached) })
			<-release // never answers while A lives
		}
		return nil
	}, activity.RegisterOptions{Name: "SaveCase", DisableAlreadyRegisteredCheck: true})
	defer close(release)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}

	in := workflows.ObjectionInput{CaseNo: caseNo, RecordID: rec.ID, SubjectID: rec.SubjectID, ProviderID: rec.ProviderID,
		ProfileID: "nantong", Grounds: []string{"记录所载事实与处罚决定书不符"}, Statement: "登记已于开业前办理",
		FiledBy: workflows.Actor{Name: "subject.demo", Role: "subject"}, ReceivedAt: time.Now()}
	owe(t, ctx, workflows.CaseKindObjection, caseNo, workflows.ObjectionWorkflowID(caseNo), in)
	run, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ObjectionWorkflowID(caseNo), TaskQueue: queue, WorkflowTaskTimeout: 10 * time.Second,
	}, workflows.ObjectionWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sys.Temporal.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") }()
	select {
	case <-reached:
	case <-ctx.Done():
		t.Fatal("worker A never reached the opening's last step")
	}
	a.Stop()

	// Worker B: the real steps, counted.
	var labels atomic.Int32
	b := sdkworker.New(sys.Temporal, queue, sdkworker.Options{})
	worker.Register(b, deps)
	b.RegisterActivityWithOptions(func(ctx context.Context, req activities.LabelRequest) (activities.LabelResult, error) {
		labels.Add(1)
		return real.LabelRecord(ctx, req)
	}, activity.RegisterOptions{Name: "LabelRecord", DisableAlreadyRegisteredCheck: true})
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Stop()

	// B opens the case for the engine: the first deadline is in the
	// workflow's state, answered by a query.
	var st workflows.ObjectionState
	for len(st.Deadlines) == 0 {
		if ctx.Err() != nil {
			t.Fatal("the case never opened on worker B")
		}
		if v, err := sys.Temporal.QueryWorkflow(ctx, run.GetID(), "", workflows.QueryObjection); err == nil {
			_ = v.Get(&st)
		}
		if len(st.Deadlines) == 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if labels.Load() == 0 {
		t.Fatal("worker B did not run the opening again; the test proves nothing")
	}

	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := sys.Pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var labelPrior, status string
	if err := sys.Pool.QueryRow(ctx, `SELECT l.prior_status, r.status FROM record_labels l JOIN records r ON r.id = l.record_id WHERE l.case_no = $1`,
		caseNo).Scan(&labelPrior, &status); err != nil {
		t.Fatal(err)
	}
	if labelPrior != priorStatus {
		t.Errorf("label keeps status %q from before the objection; want %q (the rerun must not label the labelled record)", labelPrior, priorStatus)
	}
	if status == priorStatus {
		t.Errorf("record status still %q: not labelled", status)
	}
	if n := count(`SELECT count(*) FROM case_events WHERE case_no = $1 AND action = 'objection.filed'`, caseNo); n != 1 {
		t.Errorf("%d filing events; want 1", n)
	}
	if n := count(`SELECT count(*) FROM case_events WHERE case_no = $1`, caseNo); n != st.Events {
		t.Errorf("%d events stored; the workflow counts %d", n, st.Events)
	}
	// Nantong art. 32 counts both the centre's check and the overall limit
	// from receipt: the opening computes exactly those two, once each. A
	// second run of the opening would add a second row (seq 2) of a rule.
	if n := count(`SELECT count(*) FROM case_deadlines WHERE case_no = $1`, caseNo); n != len(st.Deadlines) || n != 2 {
		t.Errorf("%d deadline rows; the workflow holds %d, want 2 (centre check and overall limit, from receipt)", n, len(st.Deadlines))
	}
	for _, rule := range []string{"objection.centre_check", "objection.overall"} {
		if n := count(`SELECT count(*) FROM case_deadlines WHERE case_no = $1 AND rule_id = $2`, caseNo, rule); n != 1 {
			t.Errorf("%d rows of %s; want 1 (the opening wrote it %d times)", n, rule, n)
		}
	}
	if n := count(`SELECT count(*) FROM audit_events WHERE action = 'record.labelled' AND data->>'case_no' = $1`, caseNo); n != 1 {
		t.Errorf("%d audit entries of the labelling; want 1", n)
	}
	var stage string
	var due *time.Time
	if err := sys.Pool.QueryRow(ctx, `SELECT stage, next_due_at FROM cases WHERE case_no = $1`, caseNo).Scan(&stage, &due); err != nil {
		t.Fatal(err)
	}
	if stage != workflows.StageAcceptance || due == nil || !due.Equal(st.Deadlines[0].DueAt) {
		t.Errorf("projection row: stage %s, next due %v; want %s, %s", stage, due, workflows.StageAcceptance, st.Deadlines[0].DueAt)
	}
}
