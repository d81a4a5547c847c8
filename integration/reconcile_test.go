package integration

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/reconcile"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// runReconcile runs the reconciler on demand and waits for its summary.
func runReconcile(t *testing.T, ctx context.Context, by string) reconcile.Run {
	t.Helper()
	id := fmt.Sprintf("%s:it-%d", workflows.ReconcileWorkflowID, time.Now().UnixNano())
	run, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflow, workflows.ReconcileInput{Trigger: workflows.ReconcileOnDemand, RequestedBy: by})
	if err != nil {
		t.Fatal(err)
	}
	var out reconcile.Run
	if err := run.Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// No stale case on the real stack (issue 19.6): an objection whose
// workflow an operator terminates, and a listing proposal whose workflow
// is terminated before the decision, are found by the reconciler: the
// objection's case closes with its deadlines cancelled and its record
// leaves "under objection" (a new objection may be filed on it); the
// proposal ends not listed. Each finding is kept and written to the case's
// events; a second run finds nothing more about them.
func TestTerminatedWorkflowsReconciled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lc := proposeListing(t, ctx)
	subject, cw := lc.subject, lc.cw
	_, _, rec := relayProvider(t, ctx, subject.account.SubjectID)

	var filed api.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
		RecordID: rec.ID, Grounds: []string{"记载错误"}, Statement: "金额有误"}, &filed)
	caseNo := filed.Case.CaseNo
	base := "/api/v1/objections/" + caseNo
	var st workflows.ObjectionState
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", nil, &st)
	var r records.Record
	subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d", rec.ID), nil, &r)
	if r.Status != records.StatusUnderObjection {
		t.Fatalf("record under objection: %s", r.Status)
	}

	// The operator terminates both workflows.
	for _, id := range []string{workflows.ObjectionWorkflowID(caseNo), workflows.ListingWorkflowID(lc.no)} {
		if err := sys.Temporal.TerminateWorkflow(ctx, id, "", "operator: stuck case"); err != nil {
			t.Fatal(err)
		}
		waitListedRunning(t, ctx, id, false)
	}
	var run reconcile.Run
	lc.supervisor.do(http.StatusOK, http.MethodPost, "/api/v1/reconciliations", nil, &run)
	lc.cw.do(http.StatusForbidden, http.MethodPost, "/api/v1/reconciliations", nil, nil)
	if run.Trigger != workflows.ReconcileOnDemand || run.FinishedAt == nil || run.Repaired < 2 {
		t.Fatalf("run %+v", run)
	}

	var d api.ObjectionDetail
	cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
	if d.Case.Status != "closed" || d.Case.Outcome != reconcile.Terminated || d.Case.NextDeadline != nil {
		t.Fatalf("objection case after reconciliation: %+v", d.Case)
	}
	for _, dl := range d.Deadlines {
		if dl.State == "pending" {
			t.Errorf("deadline %s still pending", dl.Rule)
		}
	}
	found := false
	for _, e := range d.Events {
		found = found || (e.Action == "case.reconciled.repaired" && strings.Contains(e.Reason, "被终止"))
	}
	if !found {
		t.Errorf("no reconciliation event on the case: %+v", d.Events)
	}
	subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d", rec.ID), nil, &r)
	if r.Status != records.StatusActive {
		t.Fatalf("record after reconciliation: %s, want active", r.Status)
	}
	// The record is free: a new objection may be filed.
	var again api.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
		RecordID: rec.ID, Grounds: []string{"记载错误"}, Statement: "再次提出"}, &again)
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(again.Case.CaseNo), "", "test over")
	})

	l := lc.detail()
	if l.Listing.Status != "not_listed" {
		t.Errorf("terminated proposal: listing %s, want not_listed", l.Listing.Status)
	}

	var findings int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM reconcile_findings WHERE case_no = ANY($1) AND action = 'repaired'
		AND problem = $2 AND engine_status = 'terminated'`, []string{caseNo, lc.no}, reconcile.ProblemEnded).Scan(&findings); err != nil {
		t.Fatal(err)
	}
	if findings != 2 {
		t.Errorf("%d findings, want 2", findings)
	}
	var listed struct {
		Findings []reconcile.Finding `json:"findings"`
	}
	lc.supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/reconciliations/findings?run="+run.RunID, nil, &listed)
	if !slices.ContainsFunc(listed.Findings, func(f reconcile.Finding) bool { return f.CaseNo == caseNo && f.Action == reconcile.Repaired }) {
		t.Errorf("findings of the run %+v lack %s", listed.Findings, caseNo)
	}
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, run.RunID, filepath.Join("..", "workflows", "testdata", "histories", "reconcile_run.json"))
	}
	runReconcile(t, ctx, "sup1")
	var after int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM reconcile_findings WHERE case_no = ANY($1)`, []string{caseNo, lc.no}).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != 2 {
		t.Errorf("a second run added findings: %d", after)
	}
}

// waitStatus waits until the latest run of workflow id has status want,
// and the engine's visibility (which the reconciler asks first, a moment
// behind the engine) no longer shows it running.
func waitStatus(t *testing.T, ctx context.Context, id string, want enumspb.WorkflowExecutionStatus) {
	t.Helper()
	waitFor(t, time.Minute, func() bool {
		d, err := sys.Temporal.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() == want
	})
	waitListedRunning(t, ctx, id, false)
}

// waitListedRunning waits until the engine's visibility list shows
// workflow id running (or, running false, not running): visibility follows
// the engine by a moment.
func waitListedRunning(t *testing.T, ctx context.Context, id string, running bool) {
	t.Helper()
	waitFor(t, time.Minute, func() bool {
		resp, err := sys.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s' AND ExecutionStatus = 'Running'", id)})
		return err == nil && (len(resp.GetExecutions()) > 0) == running
	})
}

// The reconciler closes an open case whose workflow ended any way but
// completing, not only when an operator terminated it: a workflow that
// failed (its latest run ended on an error), was cancelled, or timed out
// (its execution timeout ran out) leaves its case closed with that
// outcome, its deadlines cancelled, its record free, the finding kept with
// the engine's status and written to the case's events in words. Each is
// made on the real engine: a cancellation requested of the running case;
// a run under the case's workflow ID that fails on a real PostgreSQL error
// (a NUL byte refused by the database, non-retryable by the worker's
// classification); a run under it with a one-second execution timeout on
// a queue no worker polls.
func TestFailedCancelledTimedOutWorkflowsReconciled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	supervisor := logIn(t, "supervisor", seed.DemoPassword)
	provider := logIn(t, "provider", seed.DemoPassword)

	type ended struct {
		status string // reconcile's word for the engine status
		words  string // how the case's event says it
		caseNo string
		record int64
	}
	cases := []*ended{{status: reconcile.Failed, words: "失败"}, {status: reconcile.Canceled, words: "被取消"}, {status: reconcile.TimedOut, words: "超时"}}
	for _, c := range cases {
		c.record = ownRecord(ctx, t, subject, provider.account.ProviderID, "工作流"+c.status+"测试")
		c.caseNo = fileOn(t, subject, "", c.record)
	}
	// Each case is on file, its record labelled and its first deadline running.
	for _, c := range cases {
		waitFor(t, time.Minute, func() bool {
			var r records.Record
			subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d", c.record), nil, &r)
			var d api.ObjectionDetail
			cw.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+c.caseNo, nil, &d)
			return r.Status == records.StatusUnderObjection && slices.ContainsFunc(d.Deadlines, func(dl api.Deadline) bool { return dl.State == "pending" })
		})
	}

	// Failed: the case's workflow stops, and its ID's latest run fails on
	// a real data error.
	failed := workflows.ObjectionWorkflowID(cases[0].caseNo)
	if err := sys.Temporal.TerminateWorkflow(ctx, failed, "", "test: replaced by a run that fails"); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: failed, TaskQueue: workflows.TaskQueue},
		workflows.EngineCheckWorkflow, activities.EngineCheck{CheckID: "bad\x00id", RequestedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, failed, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED)

	// Cancelled: the running case is asked to cancel.
	cancelled := workflows.ObjectionWorkflowID(cases[1].caseNo)
	if err := sys.Temporal.CancelWorkflow(ctx, cancelled, ""); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, cancelled, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED)

	// Timed out: a run under the case's ID whose execution timeout runs out.
	timedOut := workflows.ObjectionWorkflowID(cases[2].caseNo)
	if err := sys.Temporal.TerminateWorkflow(ctx, timedOut, "", "test: replaced by a run that times out"); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: timedOut, TaskQueue: "reconcile-test-nobody-polls",
		WorkflowExecutionTimeout: time.Second}, workflows.ObjectionWorkflow, workflows.ObjectionInput{CaseNo: cases[2].caseNo}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, timedOut, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)

	var run reconcile.Run
	supervisor.do(http.StatusOK, http.MethodPost, "/api/v1/reconciliations", nil, &run)
	if run.FinishedAt == nil || run.Repaired < len(cases) {
		t.Fatalf("run %+v; want the %d cases repaired", run, len(cases))
	}
	for _, c := range cases {
		var d api.ObjectionDetail
		cw.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+c.caseNo, nil, &d)
		if d.Case.Status != "closed" || d.Case.Outcome != c.status || d.Case.NextDeadline != nil {
			t.Errorf("%s (workflow %s): case %+v; want closed with outcome %s", c.caseNo, c.status, d.Case, c.status)
		}
		for _, dl := range d.Deadlines {
			if dl.State == "pending" {
				t.Errorf("%s (workflow %s): deadline %s still pending", c.caseNo, c.status, dl.Rule)
			}
		}
		if !slices.ContainsFunc(d.Events, func(e api.CaseEvent) bool {
			return e.Action == "case.reconciled.repaired" && strings.Contains(e.Reason, "工作流已"+c.words)
		}) {
			t.Errorf("%s (workflow %s): no reconciliation event saying 工作流已%s: %+v", c.caseNo, c.status, c.words, d.Events)
		}
		var r records.Record
		subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d", c.record), nil, &r)
		if r.Status != records.StatusActive {
			t.Errorf("%s (workflow %s): record %s after reconciliation, want active", c.caseNo, c.status, r.Status)
		}
		var n int
		if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM reconcile_findings WHERE case_no = $1 AND action = 'repaired'
			AND problem = $2 AND engine_status = $3`, c.caseNo, reconcile.ProblemEnded, c.status).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d findings with engine status %s (%v); want 1", c.caseNo, n, c.status, err)
		}
	}
	// A second run finds nothing more about them.
	runReconcile(t, ctx, "sup1")
	var all int
	var nos []string
	for _, c := range cases {
		nos = append(nos, c.caseNo)
	}
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM reconcile_findings WHERE case_no = ANY($1)`, nos).Scan(&all); err != nil || all != len(cases) {
		t.Errorf("%d findings after a second run (%v); want %d", all, err, len(cases))
	}
}

// A pass asks the engine's visibility which open cases run (a count per
// batch, a list where it falls short) and describes only the others (issue 20.3: one describe per open case made a
// pass at 100 000 cases outlast its interval). On the real engine: once
// the leftovers of earlier tests are settled, a pass over open cases that
// all run describes none of them (the run's described count, as the API
// answers it) and counts each as listed; after one case's workflow is terminated
// (and visibility shows it), the next pass describes exactly that one and
// closes its case.
func TestReconcileDescribesOnlyCasesNotListedRunning(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	supervisor := logIn(t, "supervisor", seed.DemoPassword)
	provider := logIn(t, "provider", seed.DemoPassword)

	var nos []string
	for i := range 3 {
		rec := ownRecord(ctx, t, subject, provider.account.ProviderID, fmt.Sprintf("对账只询问差异%d", i))
		nos = append(nos, fileOn(t, subject, "", rec))
	}
	for _, no := range nos {
		waitListedRunning(t, ctx, workflows.ObjectionWorkflowID(no), true)
	}
	// Earlier tests leave cases whose workflows they terminated: a first
	// pass settles them. What it flagged for a person (a listed entry
	// without its workflow, a closed objection in its appeal window) is
	// marked and not walked again.
	runReconcile(t, ctx, "sup1")
	var walked int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM cases
		WHERE workflow_lost_at IS NULL AND (status = 'open' OR stage <> 'finished')`).Scan(&walked); err != nil {
		t.Fatal(err)
	}

	var run reconcile.Run
	supervisor.do(http.StatusOK, http.MethodPost, "/api/v1/reconciliations", nil, &run)
	if run.FinishedAt == nil || run.Described != 0 || run.Listed != walked || run.Checked != walked || run.Repaired+run.Flagged != 0 {
		t.Fatalf("pass over %d cases whose workflows run: %+v; want all %d listed, none described", walked, run, walked)
	}
	var stored struct{ listed, described int }
	if err := sys.Pool.QueryRow(ctx, `SELECT listed, described FROM reconcile_runs WHERE run_id = $1`, run.RunID).
		Scan(&stored.listed, &stored.described); err != nil || stored.listed != run.Listed || stored.described != run.Described {
		t.Errorf("reconcile_runs of %s: listed %d, described %d (%v); want %d, %d", run.RunID, stored.listed, stored.described, err,
			run.Listed, run.Described)
	}

	ended := workflows.ObjectionWorkflowID(nos[0])
	if err := sys.Temporal.TerminateWorkflow(ctx, ended, "", "operator: stuck case"); err != nil {
		t.Fatal(err)
	}
	waitListedRunning(t, ctx, ended, false)
	supervisor.do(http.StatusOK, http.MethodPost, "/api/v1/reconciliations", nil, &run)
	if run.Described != 1 || run.Listed != walked-1 || run.Repaired != 1 {
		t.Fatalf("pass after one termination: %+v; want 1 described (that one), %d listed, 1 repaired", run, walked-1)
	}
	var d api.ObjectionDetail
	cw.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+nos[0], nil, &d)
	if d.Case.Status != "closed" || d.Case.Outcome != reconcile.Terminated {
		t.Errorf("terminated workflow's case: %+v; want closed, terminated", d.Case)
	}
	for _, no := range nos[1:] {
		cw.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+no, nil, &d)
		if d.Case.Status != "open" {
			t.Errorf("%s: %s; a running case stays open", no, d.Case.Status)
		}
	}
}

// A decided objection waits out its appeal window with its case closed and
// its workflow running (issue 20: such cases were never checked). On the
// real engine: the workflow of a decided objection is terminated by an
// operator while the window runs; the subject's appeal is refused 409
// workflow-lost (not "finished", not a 500), saying the next
// reconciliation tells the supervisors; a pass on demand checks the closed
// case, flags it (a finding with the engine's status, an event on the case
// saying the appeal cannot be received; the case keeps its outcome) and
// counts it in the run's held and held_flagged; the appeal is then refused
// saying the supervisors were told, nothing changed; the next pass flags
// nothing more.
func TestClosedCaseInAppealWindowWithoutWorkflowFlagged(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	supervisor := logIn(t, "supervisor", seed.DemoPassword)
	provider := logIn(t, "provider", seed.DemoPassword)

	rec := ownRecord(ctx, t, subject, provider.account.ProviderID, "申诉期内工作流中断测试")
	no := fileOn(t, subject, "", rec)
	base := "/api/v1/objections/" + no
	var st workflows.ObjectionState
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", nil, &st)
	cw.do(http.StatusOK, http.MethodPost, base+"/forward-to-provider", workflows.ForwardInput{Note: "请核实"}, &st)
	provider.do(http.StatusOK, http.MethodPost, base+"/provider-reply", workflows.ProviderReplyInput{
		Finding: workflows.FindingAccurate, Reasons: "经核对原始文件，记录无误"}, &st)
	cw.do(http.StatusOK, http.MethodPost, base+"/decide", workflows.DecisionInput{
		Outcome: workflows.OutcomeUpheld, Reasons: "经信息提供单位核实，记录无误"}, &st)
	if st.Stage != workflows.StageClosed || st.Status != workflows.StatusClosed {
		t.Fatalf("after the decision: %s/%s; want closed/closed (appeal window open)", st.Stage, st.Status)
	}
	lettersReady(t, no)
	var d api.ObjectionDetail
	cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
	if d.Case.Status != "closed" || d.Case.Stage != workflows.StageClosed || d.Case.NextDeadline == nil {
		t.Fatalf("decided case: %+v; want closed at stage closed with the appeal window pending", d.Case)
	}

	id := workflows.ObjectionWorkflowID(no)
	if err := sys.Temporal.TerminateWorkflow(ctx, id, "", "operator: terminated in the appeal window"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, ctx, id, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)

	// Before any pass: a clean refusal, not "finished".
	appeal := workflows.AppealInput{Grounds: "处理结果有误，请复查"}
	p := problemOf(t, subject.do(http.StatusConflict, http.MethodPost, base+"/appeal", appeal, nil))
	if p.Type != "/problems/workflow-lost" || p.Stage != workflows.StageClosed || !strings.Contains(p.Detail, "next reconciliation") {
		t.Fatalf("appeal on a case whose workflow is gone, before reconciliation: %+v", p)
	}

	var run reconcile.Run
	supervisor.do(http.StatusOK, http.MethodPost, "/api/v1/reconciliations", nil, &run)
	if run.FinishedAt == nil || run.Held < 1 || run.HeldFlagged < 1 || run.Flagged < run.HeldFlagged {
		t.Fatalf("run %+v; want the closed case checked (held) and flagged", run)
	}
	var f struct {
		status, action, detail string
	}
	if err := sys.Pool.QueryRow(ctx, `SELECT engine_status, action, detail FROM reconcile_findings WHERE run_id = $1 AND case_no = $2 AND problem = $3`,
		run.RunID, no, reconcile.ProblemHeldLost).Scan(&f.status, &f.action, &f.detail); err != nil {
		t.Fatalf("finding of %s in run %s: %v", no, run.RunID, err)
	}
	if f.status != reconcile.Terminated || f.action != reconcile.Flagged {
		t.Errorf("finding %+v; want flagged, engine status terminated", f)
	}
	var inbox api.NotificationList
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/inbox", nil, &inbox)
	if !slices.ContainsFunc(inbox.Notifications, func(n supervision.Notification) bool {
		return n.CaseNo == no && n.Kind == "reconcile.workflow_lost" && strings.Contains(n.MessageEN, "appeal")
	}) {
		t.Errorf("the supervisors' inbox lacks the notice of %s: %+v", no, inbox.Notifications)
	}
	var flagged struct {
		Findings []reconcile.Finding `json:"findings"`
	}
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/reconciliations/findings?flagged=true", nil, &flagged)
	if !slices.ContainsFunc(flagged.Findings, func(x reconcile.Finding) bool { return x.CaseNo == no && x.Problem == reconcile.ProblemHeldLost }) {
		t.Errorf("the supervisors' flagged findings lack %s: %+v", no, flagged.Findings)
	}
	cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
	if d.Case.Status != "closed" || d.Case.Outcome != workflows.OutcomeUpheld || d.Case.Stage != workflows.StageClosed {
		t.Errorf("flagged case: %+v; want it as decided (closed, upheld, stage closed)", d.Case)
	}
	if !slices.ContainsFunc(d.Events, func(e api.CaseEvent) bool {
		return e.Action == "case.reconciled.flagged" && strings.Contains(e.Reason, "申诉") && strings.Contains(e.Reason, "被终止")
	}) {
		t.Errorf("no event on the case saying the appeal cannot be received: %+v", d.Events)
	}

	// Now the refusal says the supervisors were told; nothing changed.
	p = problemOf(t, subject.do(http.StatusConflict, http.MethodPost, base+"/appeal", appeal, nil))
	if p.Type != "/problems/workflow-lost" || !strings.Contains(p.Detail, "flagged it to the supervisors on") || p.CaseNo != no {
		t.Fatalf("appeal on a flagged case: %+v", p)
	}
	cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
	if d.Case.Stage != workflows.StageClosed || slices.ContainsFunc(d.Events, func(e api.CaseEvent) bool { return e.Action == "objection.appealed" }) {
		t.Errorf("after the refused appeal: %+v", d.Case)
	}

	// The console says so: the subject is offered no appeal and told why;
	// the staff page says what the reconciliation found.
	b := logInTab(t, "subject", seed.DemoPassword)
	b.open("/my/cases/" + no)
	if got := b.offered("#workflow-lost", "#do-appeal", "#do-hand-over"); !got["#workflow-lost"] || got["#do-appeal"] || got["#do-hand-over"] {
		t.Errorf("subject's case page with its workflow lost: %v; want the notice and no appeal offered", got)
	}
	b.check("subject-case-workflow-lost")
	sb := logInTab(t, "supervisor", seed.DemoPassword)
	sb.open("/cases/" + no)
	if got := sb.offered("#workflow-lost", "#do-decide-appeal"); !got["#workflow-lost"] || got["#do-decide-appeal"] {
		t.Errorf("staff case page with its workflow lost: %v; want the notice", got)
	}
	sb.check("staff-case-workflow-lost")

	// The next pass does not walk it again.
	again := runReconcile(t, ctx, "sup1")
	var n int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM reconcile_findings WHERE case_no = $1`, no).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d findings of %s after another pass (%v); want 1", n, no, err)
	}
	if again.HeldFlagged != 0 {
		t.Errorf("second pass %+v flagged held cases again", again)
	}

	// An operator brings the workflow back (Temporal's workflow reset to
	// its last completed workflow task): the case's page clears the mark
	// and offers the appeal again, and the appeal is received.
	var last int64
	it := sys.Temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			last = ev.GetEventId()
		}
	}
	if _, err := sys.Temporal.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id}, Reason: "operator: the case brought back",
		WorkflowTaskFinishEventId: last, RequestId: fmt.Sprintf("reset-%d", time.Now().UnixNano())}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, func() bool {
		d, err := sys.Temporal.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	var back api.ObjectionDetail
	subject.do(http.StatusOK, http.MethodGet, base, nil, &back)
	if back.Case.WorkflowLost != nil || !slices.ContainsFunc(back.Actions, func(a casework.Action) bool { return a.Name == "appeal" }) {
		t.Fatalf("case after its workflow was reset: lost %v, actions %+v; want the mark cleared and the appeal offered", back.Case.WorkflowLost, back.Actions)
	}
	var lost *time.Time
	if err := sys.Pool.QueryRow(ctx, `SELECT workflow_lost_at FROM cases WHERE case_no = $1`, no).Scan(&lost); err != nil || lost != nil {
		t.Errorf("cases.workflow_lost_at after the reset and a page view: %v (%v); want cleared", lost, err)
	}
	subject.do(http.StatusOK, http.MethodPost, base+"/appeal", appeal, &st)
	if st.Stage != workflows.StageAppeal {
		t.Fatalf("appeal after the reset: stage %s, want appeal", st.Stage)
	}
}
