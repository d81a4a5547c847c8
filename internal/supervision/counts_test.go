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
