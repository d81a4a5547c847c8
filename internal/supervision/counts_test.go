package supervision_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/creditcase/creditcase/internal/supervision"
)

// The counts at the top of the board agree with its rows: by light (the
// same per-profile edges, a missed deadline red, met or superseded ones and
// closed cases not counted) and by case kind.
func TestBoardCountsAgreeWithRows(t *testing.T) {
	f := newFixture(t)
	prov := f.provider("计数测试单位")
	party := fmt.Sprintf("provider:%d", prov)
	obj := f.newCase(caseSpec{provider: prov})
	f.deadline(obj, "a-after-holiday", 1, party, "2026-02-24", "pending", nil)
	f.deadline(obj, "c-today", 1, party, "2026-02-13", "pending", nil)
	f.deadline(obj, "e-missed", 1, party, "2026-02-12", "missed", nil)
	f.deadline(obj, "g-met", 1, party, "2026-02-24", "met", nil)
	lst := f.newCase(caseSpec{provider: prov, kind: "listing", stage: "representation"})
	f.deadline(lst, "d-in-holiday", 1, party, "2026-02-20", "pending", nil)
	f.deadline(lst, "h-superseded", 1, party, "2026-02-10", "superseded", nil)
	closed := f.newCase(caseSpec{provider: prov, status: "closed"})
	f.deadline(closed, "i-closed-case", 1, party, "2026-02-12", "pending", nil)

	b := board(sh(2026, 2, 13, 10))
	ctx := context.Background()
	c, err := b.Counts(ctx, supervision.BoardFilter{Party: party})
	if err != nil {
		t.Fatal(err)
	}
	if want := (supervision.LightTally{Red: 1, Yellow: 2, Green: 1}); c.Lights != want {
		t.Errorf("lights %+v, want %+v", c.Lights, want)
	}
	if want := (supervision.LightTally{Red: 1, Yellow: 1, Green: 1}); c.Kinds["objection"] != want {
		t.Errorf("objections %+v, want %+v", c.Kinds["objection"], want)
	}
	if want := (supervision.LightTally{Yellow: 1}); c.Kinds["listing"] != want {
		t.Errorf("listings %+v, want %+v", c.Kinds["listing"], want)
	}
	for light, n := range map[string]int{supervision.Red: c.Lights.Red, supervision.Yellow: c.Lights.Yellow, supervision.Green: c.Lights.Green} {
		p, err := b.List(ctx, supervision.BoardFilter{Party: party, Light: light})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != n {
			t.Errorf("%s: %d rows, counted %d", light, len(p.Items), n)
		}
	}
	// a filter narrows the counts as it narrows the rows
	c, err = b.Counts(ctx, supervision.BoardFilter{Party: party, Kind: "listing"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Lights.Total() != 1 || len(c.Kinds) != 1 {
		t.Errorf("listing counts %+v", c)
	}
}

// The tallies the counts are summed from (migration 00096) stay equal to
// the rows they count through every kind of write: a case opened, its
// deadlines added, met, missed and moved, its stage changed, closed,
// reopened, and a deadline and a case deleted.
func TestTalliesFollowTheRows(t *testing.T) {
	f := newFixture(t)
	same := func(step string) {
		t.Helper()
		for _, q := range []struct{ name, rows, tally string }{
			{"worklist_tally", `SELECT kind, stage, profile_id, profile_version, work_party, work_due_at, count(*) FROM cases
				WHERE status = 'open' GROUP BY 1, 2, 3, 4, 5, 6`,
				`SELECT kind, stage, profile_id, profile_version, work_party, work_due_at, n FROM worklist_tally`},
			{"board_tally", `SELECT case_kind, case_stage, case_profile, case_profile_version, party, due_at, count(*) FROM case_deadlines
				WHERE state IN ('pending', 'missed') AND case_open GROUP BY 1, 2, 3, 4, 5, 6`,
				`SELECT case_kind, case_stage, case_profile, case_profile_version, party, due_at, n FROM board_tally`},
			// the provider report's counts (migration 00099), as the report counted the rows
			{"provider_report_tally", `SELECT due_at, party, rule_id,
					count(*) FILTER (WHERE state = 'met' AND coalesce(settled_at, due_at) <= due_at),
					count(*) FILTER (WHERE state = 'met' AND settled_at > due_at),
					count(*) FILTER (WHERE state = 'missed')
				FROM case_deadlines WHERE state IN ('met', 'missed') AND party LIKE 'provider:%' GROUP BY 1, 2, 3`,
				`SELECT due_at, party, rule_id, on_time, late, missed FROM provider_report_tally`},
		} {
			var diff int
			if err := testPool.QueryRow(f.ctx, `SELECT count(*) FROM ((`+q.rows+` EXCEPT `+q.tally+`) UNION ALL (`+q.tally+` EXCEPT `+q.rows+`)) x`).
				Scan(&diff); err != nil {
				t.Fatal(err)
			}
			if diff != 0 {
				t.Errorf("after %s: %s disagrees with the rows in %d groups", step, q.name, diff)
			}
		}
	}
	same("the rows of other tests")
	prov := f.provider("计数单位")
	party := fmt.Sprintf("provider:%d", prov)
	a := f.newCase(caseSpec{provider: prov})
	b := f.newCase(caseSpec{provider: prov, kind: "repair", stage: "publicity", profile: "anshan"})
	same("two cases opened")
	touch := func(no string) { f.exec(`UPDATE cases SET updated_at = now() WHERE case_no = $1`, no) }
	f.deadline(a, "verify", 1, party, "2026-03-10", "pending", nil)
	f.deadline(a, "whole", 1, "centre", "2026-03-20", "pending", nil)
	f.deadline(b, "publicity", 1, "centre", "2026-03-10", "pending", nil)
	touch(a)
	touch(b)
	same("deadlines added and the cases saved")
	f.exec(`UPDATE case_deadlines SET state = 'met', settled_at = now() WHERE case_no = $1 AND rule_id = 'verify'`, a)
	touch(a)
	same("a deadline met")
	f.exec(`UPDATE case_deadlines SET state = 'missed' WHERE case_no = $1`, b)
	f.exec(`UPDATE case_deadlines SET due_at = due_at + interval '2 days' WHERE case_no = $1 AND rule_id = 'whole'`, a)
	touch(a)
	touch(b)
	same("a deadline missed, another moved")
	f.exec(`UPDATE cases SET stage = 'deciding' WHERE case_no = $1`, a)
	same("a stage changed")
	// the provider's deadlines as the report counts them: met on time,
	// then late (settled again after its due time), missed, recomputed
	// (superseded), handed to another provider, moved to another day
	f.deadline(a, "reply", 1, party, "2026-03-12", "pending", nil)
	f.deadline(a, "reply", 2, party, "2026-03-12", "met", nil)
	same("a provider's deadlines added, one met without a settling time")
	f.exec(`UPDATE case_deadlines SET state = 'met', settled_at = due_at - interval '1 hour' WHERE case_no = $1 AND rule_id = 'reply' AND seq = 1`, a)
	same("a provider's deadline met on time")
	f.exec(`UPDATE case_deadlines SET settled_at = due_at + interval '1 hour' WHERE case_no = $1 AND rule_id = 'reply' AND seq = 1`, a)
	same("it is met late after all")
	f.exec(`UPDATE case_deadlines SET state = 'missed', settled_at = due_at WHERE case_no = $1 AND rule_id = 'reply' AND seq = 2`, a)
	same("another missed")
	f.exec(`UPDATE case_deadlines SET state = 'superseded' WHERE case_no = $1 AND rule_id = 'reply' AND seq = 2`, a)
	same("it is recomputed")
	other := fmt.Sprintf("provider:%d", f.provider("另一单位"))
	f.exec(`UPDATE case_deadlines SET party = $2 WHERE case_no = $1 AND rule_id = 'reply' AND seq = 1`, a, other)
	same("a deadline handed to another provider")
	f.exec(`UPDATE case_deadlines SET due_at = due_at + interval '1 day', due_date = due_date + 1 WHERE case_no = $1 AND rule_id = 'reply'`, a)
	same("the provider's deadlines moved a day")
	f.exec(`DELETE FROM case_deadlines WHERE case_no = $1 AND rule_id = 'reply' AND seq = 1`, a)
	same("a provider's deadline deleted")
	// who handles a case is on its row (migration 00097): taken, reassigned
	cw1, _ := f.account("caseworker")
	cw2, _ := f.account("caseworker")
	assignee := func() int64 {
		var id *int64
		if err := testPool.QueryRow(f.ctx, `SELECT assignee_id FROM cases WHERE case_no = $1`, a).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if id == nil {
			return 0
		}
		return *id
	}
	f.exec(`INSERT INTO case_assignments (case_no, account_id, how, assigned_by) VALUES ($1, $2, 'took', 'x')`, a, cw1)
	if got := assignee(); got != cw1 {
		t.Errorf("taken: assignee %d, want %d", got, cw1)
	}
	f.exec(`UPDATE case_assignments SET account_id = $2, how = 'reassigned' WHERE case_no = $1`, a, cw2)
	if got := assignee(); got != cw2 {
		t.Errorf("reassigned: assignee %d, want %d", got, cw2)
	}
	same("a case assigned")
	f.exec(`UPDATE cases SET status = 'closed' WHERE case_no = $1`, b)
	same("a case closed")
	f.exec(`UPDATE cases SET status = 'open' WHERE case_no = $1`, b)
	same("a case reopened")
	f.exec(`DELETE FROM case_deadlines WHERE case_no = $1`, b)
	touch(b)
	same("its deadlines deleted")
	f.exec(`DELETE FROM cases WHERE case_no = $1`, b)
	same("the case deleted")
	var n int
	if err := testPool.QueryRow(f.ctx, `SELECT (SELECT count(*) FROM worklist_tally WHERE n = 0) + (SELECT count(*) FROM board_tally WHERE n = 0)
		+ (SELECT count(*) FROM provider_report_tally WHERE on_time + late + missed = 0)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d tally rows left at zero", n)
	}
}
