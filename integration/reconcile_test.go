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

	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/reconcile"
	"github.com/creditcase/creditcase/internal/records"
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
