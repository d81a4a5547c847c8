package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// Issue 11.4: real bad data reaches an activity through HTTP. The stored
// label of an objection's record is corrupted (its prior status is not a
// status a record may have), so the withdrawal's step that restores the
// record breaks the records' check constraint. The step is not retried for
// ever and the workflow does not fail: the withdrawal answers step-failed
// (escalated), the case stays open with its record labelled, and the case
// detail, the board and the escalations show the step in words; other
// steps are refused (case-escalated). A retry before the data is corrected
// escalates it again; after the correction the retry completes the
// withdrawal and frees the record. A second case is closed by the
// supervisor instead: closed on the escalation, its record unlabelled, the
// closing audited — no record is left labelled without a live case.
func TestDataErrorEscalatedShownAndResolvedThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	caseworker := logIn(t, "caseworker", seed.DemoPassword)
	supervisor := logIn(t, "supervisor", seed.DemoPassword)

	file := func(title string) (string, int64) {
		t.Helper()
		rec := consoleRecord(t, title)
		var filed api.FiledObjection
		subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
			RecordID: rec.ID, Grounds: []string{"记录有误"}, Statement: "处罚已撤销"}, &filed)
		no := filed.Case.CaseNo
		t.Cleanup(func() {
			_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(no), "", "test over")
		})
		return no, rec.ID
	}
	recordStatus := func(id int64) string {
		t.Helper()
		var s string
		if err := sys.Pool.QueryRow(ctx, `SELECT status FROM records WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	corrupt := func(no, prior string) {
		t.Helper()
		if _, err := sys.Pool.Exec(ctx, `UPDATE record_labels SET prior_status = $2 WHERE case_no = $1`, no, prior); err != nil {
			t.Fatal(err)
		}
	}
	detail := func(no string) api.ObjectionDetail {
		t.Helper()
		var d api.ObjectionDetail
		caseworker.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+no, nil, &d)
		return d
	}
	withdrawEscalated := func(no string) {
		t.Helper()
		r := subject.send(http.MethodPost, "/api/v1/objections/"+no+"/withdraw", "application/json", strings.NewReader(`{"reason": "不再需要"}`))
		p := problemOf(t, r)
		if r.status != http.StatusInternalServerError || p.Type != "/problems/step-failed" || !strings.Contains(p.Detail, "applying the outcome") {
			t.Fatalf("withdrawal whose step breaks a constraint: %d %s; want 500 step-failed naming the step", r.status, r.body)
		}
	}

	// 1. Escalated, shown, refused, retried after the correction.
	no, recordID := file("食品经营许可逾期未换证（受阻步骤重试）")
	waitFor(t, time.Minute, func() bool { return recordStatus(recordID) == "under_objection" })
	corrupt(no, "not-a-status")
	withdrawEscalated(no)

	d := detail(no)
	e := d.Case.Escalated
	if e == nil || e.Step != "ApplyOutcome" || e.ErrorType != "data-constraint" || e.StepZH != "执行处理结果" ||
		!strings.Contains(e.Message, "records_status_check") || strings.Contains(e.Message, "not-a-status") || d.Case.Status != "open" {
		t.Fatalf("case detail while escalated: case %+v escalated %+v", d.Case, e)
	}
	if d.Live == nil || d.Live.Escalated == nil || d.Live.Escalated.Step != "ApplyOutcome" {
		t.Fatalf("live state while escalated: %+v", d.Live)
	}
	if got := recordStatus(recordID); got != "under_objection" {
		t.Fatalf("record %s while its case is live and escalated; want still labelled", got)
	}
	var board casework.BoardPage
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/board", nil, &board)
	onBoard := false
	for _, b := range board.Escalated {
		onBoard = onBoard || (b.CaseNo == no && b.Step == "ApplyOutcome" && b.WhatEN != "" && b.WhatZH != "")
	}
	if !onBoard {
		t.Fatalf("board's escalated steps %+v lack %s", board.Escalated, no)
	}
	var esc casework.EscalationPage
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/escalations?case_no="+no, nil, &esc)
	if len(esc.Escalations) != 1 || esc.Escalations[0].What != "step" || esc.Escalations[0].Step != "ApplyOutcome" || esc.Escalations[0].State != "open" {
		t.Fatalf("escalations of %s: %+v", no, esc.Escalations)
	}
	r := caseworker.send(http.MethodPost, "/api/v1/objections/"+no+"/accept", "application/json", strings.NewReader(`{}`))
	if p := problemOf(t, r); r.status != http.StatusConflict || p.Type != "/problems/case-escalated" {
		t.Fatalf("a step while escalated: %d %s; want 409 case-escalated", r.status, r.body)
	}
	// Subjects take no part in it; a close needs its reason.
	subject.do(http.StatusForbidden, http.MethodPost, "/api/v1/cases/"+no+"/resolve-escalated-step", casework.StepResolution{Action: "retry"}, nil)
	r = supervisor.send(http.MethodPost, "/api/v1/cases/"+no+"/resolve-escalated-step", "application/json", strings.NewReader(`{"action": "close"}`))
	if p := problemOf(t, r); r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "reason" {
		t.Fatalf("close without a reason: %d %s", r.status, r.body)
	}
	// Retried before the data is corrected: it stops again, escalated anew.
	var res casework.StepResolved
	supervisor.do(http.StatusOK, http.MethodPost, "/api/v1/cases/"+no+"/resolve-escalated-step", casework.StepResolution{Action: "retry"}, &res)
	waitFor(t, time.Minute, func() bool {
		e := detail(no).Case.Escalated
		return e != nil && e.Seq == 2
	})
	// Corrected, retried: the withdrawal completes, the record is free.
	corrupt(no, "active")
	caseworker.do(http.StatusOK, http.MethodPost, "/api/v1/cases/"+no+"/resolve-escalated-step", casework.StepResolution{Action: "retry", Seq: 2}, &res)
	waitFor(t, time.Minute, func() bool { return detail(no).Case.Status == workflows.StatusWithdrawn })
	if d := detail(no); d.Case.Escalated != nil || recordStatus(recordID) != "active" {
		t.Fatalf("after the retry: escalated %+v, record %s; want none, active", d.Case.Escalated, recordStatus(recordID))
	}
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/escalations?case_no="+no+"&state=resolved", nil, &esc)
	if len(esc.Escalations) != 2 || esc.Escalations[0].Resolution != "retry" {
		t.Fatalf("resolved escalations of %s: %+v", no, esc.Escalations)
	}

	// 2. Escalated, then closed by the supervisor: the record is unlabelled.
	no2, record2 := file("食品经营许可逾期未换证（受阻后关闭）")
	waitFor(t, time.Minute, func() bool { return recordStatus(record2) == "under_objection" })
	corrupt(no2, "not-a-status")
	withdrawEscalated(no2)
	supervisor.do(http.StatusOK, http.MethodPost, "/api/v1/cases/"+no2+"/resolve-escalated-step",
		casework.StepResolution{Action: "close", Reason: "标注数据损坏，关闭本案，另行受理"}, &res)
	if res.Status != workflows.StatusClosed || res.Outcome != workflows.OutcomeClosedOnEscalation {
		t.Fatalf("after close: %+v", res)
	}
	waitFor(t, time.Minute, func() bool {
		d := detail(no2)
		return d.Case.Status == workflows.StatusClosed && d.Case.Escalated == nil
	})
	if got := recordStatus(record2); got != "active" {
		t.Fatalf("record of the closed case is %s; want active (unlabelled)", got)
	}
	var audited, events int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE object_type = 'case' AND object_id = $1
		AND action = 'case.closed_on_escalation' AND actor = 'supervisor'`, no2).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_no = $1
		AND action IN ('case.step_escalated', 'case.closed_on_escalation')`, no2).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if audited != 1 || events != 2 {
		t.Fatalf("closing of %s: %d audit entries, %d events; want 1 and 2", no2, audited, events)
	}
	// The workflow ended by itself, without failing.
	waitFor(t, time.Minute, func() bool {
		desc, err := sys.Temporal.DescribeWorkflowExecution(ctx, workflows.ObjectionWorkflowID(no2), "")
		return err == nil && desc.GetWorkflowExecutionInfo().GetStatus().String() == "Completed"
	})
	t.Logf("escalated, retried and closed: %s, %s", no, no2)
}
