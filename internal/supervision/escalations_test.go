package supervision_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/supervision"
)

func count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := testPool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (f *fixture) account(role string) (int64, audit.Actor) {
	n := uniq.Add(1)
	name := fmt.Sprintf("%s-%d", role, n)
	id := f.id(`INSERT INTO accounts (username, display_name, password_hash, role) VALUES ($1, $1, 'x', $2) RETURNING id`, name, role)
	return id, audit.Actor{AccountID: id, Username: name, Role: role}
}

// The workflow calls Escalate when a deadline lapses; a retried activity
// (here: the call made twice) leaves one escalation and one notice.
func TestEscalateOncePerLapseWhenRetried(t *testing.T) {
	f := newFixture(t)
	prov := f.provider("逾期单位")
	no := f.newCase(caseSpec{provider: prov})
	party := fmt.Sprintf("provider:%d", prov)
	f.deadline(no, "objection.provider_reply", 1, party, "2026-03-10", "missed", nil)
	cases := &activities.Cases{Pool: testPool, Calendar: calendar.Default(), Policies: policy.Default()}
	esc := activities.Escalation{CaseNo: no, Rule: "objection.provider_reply", Seq: 1, Party: party, Since: sh(2026, 3, 11, 0)}
	for range 2 {
		if err := cases.Escalate(context.Background(), esc); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, `SELECT count(*) FROM escalations WHERE case_no = $1`, no); n != 1 {
		t.Errorf("%d escalations; want 1", n)
	}
	if n := count(t, `SELECT count(*) FROM notifications WHERE case_no = $1 AND party = 'supervisor'`, no); n != 1 {
		t.Errorf("%d supervisor notices; want 1", n)
	}
	// A later lapse of the recomputed deadline (seq 2) is a new escalation.
	esc.Seq = 2
	if err := cases.Escalate(context.Background(), esc); err != nil {
		t.Fatal(err)
	}
	if n := count(t, `SELECT count(*) FROM escalations WHERE case_no = $1`, no); n != 2 {
		t.Errorf("%d escalations after a second lapse; want 2", n)
	}
	list, err := (&supervision.Escalations{Pool: testPool}).List(context.Background(), supervision.EscalationFilter{CaseNo: no, State: "open"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Seq != 2 || list[1].Party != party || !list[1].Since.Equal(sh(2026, 3, 11, 0)) {
		t.Errorf("open escalations %+v", list)
	}
}

func TestEscalationActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	prov := f.provider("督办单位")
	party := fmt.Sprintf("provider:%d", prov)
	no := f.newCase(caseSpec{provider: prov})
	id := f.id(`INSERT INTO escalations (case_no, rule_id, seq, party, since) VALUES ($1, 'r', 1, $2, now()) RETURNING id`, no, party)
	_, sup := f.account("supervisor")
	cw, _ := f.account("caseworker")
	other, _ := f.account("supervisor")
	s := &supervision.Escalations{Pool: testPool}

	r, err := s.Act(ctx, sup, id, supervision.Action{Action: supervision.ActAcknowledge})
	if err != nil {
		t.Fatal(err)
	}
	if r.Escalation.State != supervision.EscalationAcknowledged || r.EventSeq != supervision.EscalationEventSeqBase+int(r.ActionID) {
		t.Errorf("acknowledge: %+v", r)
	}
	var conflict *supervision.ErrConflict
	if _, err := s.Act(ctx, sup, id, supervision.Action{Action: supervision.ActAcknowledge}); !errors.As(err, &conflict) {
		t.Errorf("second acknowledge: %v; want a conflict", err)
	}
	var inv *supervision.ErrInvalid
	if _, err := s.Act(ctx, sup, id, supervision.Action{Action: supervision.ActReassign, AssignTo: other}); !errors.As(err, &inv) || inv.Field != "assign_to" {
		t.Errorf("reassign to a supervisor: %v; want invalid assign_to", err)
	}
	r, err = s.Act(ctx, sup, id, supervision.Action{Action: supervision.ActReassign, AssignTo: cw, Note: "请张三跟进"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Escalation.AssignedTo != cw || r.Escalation.State != supervision.EscalationAcknowledged {
		t.Errorf("reassign: %+v", r.Escalation)
	}
	if _, err := s.Act(ctx, sup, id, supervision.Action{Action: supervision.ActOrderCorrection}); !errors.As(err, &inv) || inv.Field != "note" {
		t.Errorf("order without note: %v; want invalid note", err)
	}
	r, err = s.Act(ctx, sup, id, supervision.Action{Action: supervision.ActOrderCorrection, Note: "限三个工作日内答复"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Escalation.State != supervision.EscalationResolved {
		t.Errorf("order-correction: %+v", r.Escalation)
	}
	if _, err := s.Act(ctx, sup, id, supervision.Action{Action: supervision.ActReassign, AssignTo: cw}); !errors.As(err, &conflict) {
		t.Errorf("reassign after resolution: %v; want a conflict", err)
	}
	if _, err := s.Act(ctx, sup, 999999999, supervision.Action{Action: supervision.ActAcknowledge}); !errors.Is(err, supervision.ErrNotFound) {
		t.Errorf("unknown escalation: %v", err)
	}

	// Every handling is in the case's events, by whom and why.
	rows, err := testPool.Query(ctx, `SELECT action, actor, reason FROM case_events WHERE case_no = $1 ORDER BY seq`, no)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var a, who, why string
		if err := rows.Scan(&a, &who, &why); err != nil {
			t.Fatal(err)
		}
		got = append(got, a+"|"+who+"|"+why)
	}
	want := []string{"escalation.acknowledge|" + sup.Username + "|", "escalation.reassign|" + sup.Username + "|请张三跟进",
		"escalation.order-correction|" + sup.Username + "|限三个工作日内答复"}
	if !slices.Equal(got, want) {
		t.Errorf("case events %v; want %v", got, want)
	}
	if n := count(t, `SELECT count(*) FROM escalation_actions WHERE escalation_id = $1`, id); n != 3 {
		t.Errorf("%d escalation actions; want 3", n)
	}
	if n := count(t, `SELECT count(*) FROM notifications WHERE case_no = $1 AND party = $2 AND kind = 'escalation.order-correction'`, no, party); n != 1 {
		t.Errorf("provider not told of the order: %d notices", n)
	}

	// The workflow's own events (seq from 1) still land: no number was taken.
	cases := &activities.Cases{Pool: testPool}
	if err := cases.RecordEvent(ctx, activities.Event{CaseNo: no, Seq: 1, At: sh(2026, 3, 1, 9), Actor: "system", Role: "system", Action: "case.opened"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, `SELECT count(*) FROM case_events WHERE case_no = $1`, no); n != 4 {
		t.Errorf("%d events; want 4 (3 supervisor actions + the workflow's)", n)
	}
}
