package reconcile

import "testing"

// The visibility query names each workflow once as a literal; an ID that
// cannot be written as one (a quote, a backslash) is left out, so the
// reconciler describes it rather than send a broken query.
func TestRunningQuery(t *testing.T) {
	got := runningQuery([]string{"objection:YY-2026-000001", "listing:LB-2026-000002", "bad'id", `back\slash`, ""})
	want := "ExecutionStatus = 'Running' AND WorkflowId IN ('objection:YY-2026-000001', 'listing:LB-2026-000002')"
	if got != want {
		t.Errorf("query\n%s\nwant\n%s", got, want)
	}
	if q := runningQuery([]string{"it's"}); q != "" {
		t.Errorf("no ID can be asked about: query %q, want none", q)
	}
}
