package supervision_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/supervision"
)

func board(now time.Time) *supervision.Board {
	return &supervision.Board{Pool: testPool, Calendar: calendar.Default(), Policies: policy.Default(),
		Now: func() time.Time { return now }}
}

func labels(items []supervision.BoardItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Rule+":"+it.Light)
	}
	return out
}

// On Friday 2026-02-13, before the Spring Festival holiday (02-15 to 02-23
// off, Saturday 02-14 a make-up working day), a deadline due Tuesday 02-24
// has two working days left (02-14, 02-24) and stays green with the
// profile's 1-WD margin, though it is only 11 calendar days away; one due
// during the holiday has a single working day left and is yellow.
func TestBoardLightsAcrossSpringFestival(t *testing.T) {
	f := newFixture(t)
	prov := f.provider("春节测试单位")
	party := fmt.Sprintf("provider:%d", prov)
	open := f.newCase(caseSpec{provider: prov})
	f.deadline(open, "a-after-holiday", 1, party, "2026-02-24", "pending", nil)
	f.deadline(open, "b-makeup-saturday", 1, party, "2026-02-14", "pending", nil)
	f.deadline(open, "c-today", 1, party, "2026-02-13", "pending", nil)
	f.deadline(open, "d-in-holiday", 1, party, "2026-02-20", "pending", nil)
	f.deadline(open, "e-missed", 1, party, "2026-02-12", "missed", nil)
	f.deadline(open, "f-lapsed-unsettled", 1, party, "2026-02-12", "pending", nil)
	f.deadline(open, "g-met", 1, party, "2026-02-24", "met", nil)
	f.deadline(open, "h-superseded", 1, party, "2026-02-24", "superseded", nil)
	closed := f.newCase(caseSpec{provider: prov, status: "closed"})
	f.deadline(closed, "i-closed-case", 1, party, "2026-02-24", "pending", nil)

	b := board(sh(2026, 2, 13, 10))
	ctx := context.Background()
	page, err := b.List(ctx, supervision.BoardFilter{Party: party})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"e-missed:red", "f-lapsed-unsettled:red", "c-today:yellow", "b-makeup-saturday:yellow",
		"d-in-holiday:yellow", "a-after-holiday:green"}
	if got := labels(page.Items); !slices.Equal(got, want) {
		t.Fatalf("board\n got %v\nwant %v", got, want)
	}
	left := map[string]int{}
	for _, it := range page.Items {
		if it.DaysLeft == nil {
			t.Fatalf("%s: no working days left", it.Rule)
		}
		left[it.Rule] = *it.DaysLeft
	}
	if left["a-after-holiday"] != 2 || left["d-in-holiday"] != 1 || left["c-today"] != 0 || left["e-missed"] != -1 {
		t.Errorf("working days left %v; want a=2 d=1 c=0 e=-1", left)
	}

	// The light filters are SQL conditions and agree with the lights.
	for light, wantN := range map[string]int{supervision.Red: 2, supervision.Yellow: 3, supervision.Green: 1} {
		p, err := b.List(ctx, supervision.BoardFilter{Party: party, Light: light})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != wantN {
			t.Errorf("light=%s: %v; want %d items", light, labels(p.Items), wantN)
		}
		for _, it := range p.Items {
			if it.Light != light {
				t.Errorf("light=%s returned %s", light, it.Light)
			}
		}
	}

	// On Monday 02-23 (still a holiday) the same deadline is yellow: 02-24
	// is the next working day.
	p, err := board(sh(2026, 2, 23, 10)).List(ctx, supervision.BoardFilter{Party: party, Light: supervision.Yellow})
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(p.Items); !slices.Equal(got, []string{"a-after-holiday:yellow"}) {
		t.Errorf("on 02-23, yellow = %v; want only a-after-holiday", got)
	}

	// Keyset paging, both orders, gives every item once.
	for _, desc := range []bool{false, true} {
		var all []string
		cur := ""
		for range 10 {
			p, err := b.List(ctx, supervision.BoardFilter{Party: party, Limit: 2, After: cur, Desc: desc})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, labels(p.Items)...)
			if cur = p.Next; cur == "" {
				break
			}
		}
		exp := slices.Clone(want)
		if desc {
			slices.Reverse(exp)
		}
		if !slices.Equal(all, exp) {
			t.Errorf("desc=%v paged %v; want %v", desc, all, exp)
		}
	}
}

// A Guangxi profile (nanning) counts 壮族三月三 as days off: on Friday
// 2025-03-28 a deadline due Wednesday 04-02 has one working day left in
// Guangxi (03-31 and 04-01 off) and is yellow, three under the national
// calendar (nantong) and is green.
func TestBoardUsesTheProfileRegion(t *testing.T) {
	f := newFixture(t)
	prov := f.provider("广西测试单位")
	party := fmt.Sprintf("provider:%d", prov)
	gx := f.newCase(caseSpec{provider: prov, profile: "nanning"})
	nat := f.newCase(caseSpec{provider: prov, profile: "nantong"})
	f.deadline(gx, "reply", 1, party, "2025-04-02", "pending", nil)
	f.deadline(nat, "reply", 1, party, "2025-04-02", "pending", nil)
	b := board(sh(2025, 3, 28, 10))
	for light, want := range map[string]string{supervision.Yellow: gx, supervision.Green: nat} {
		p, err := b.List(context.Background(), supervision.BoardFilter{Party: party, Light: light})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Items[0].CaseNo != want {
			t.Errorf("%s on 2025-03-28 = %+v; want only case %s", light, p.Items, want)
		}
	}
	p, err := b.List(context.Background(), supervision.BoardFilter{Party: party})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		want := map[string]int{"nanning": 1, "nantong": 3}[it.Profile]
		if it.DaysLeft == nil || *it.DaysLeft != want {
			t.Errorf("%s: working days left %v; want %d", it.Profile, it.DaysLeft, want)
		}
	}
}

func TestBoardFilters(t *testing.T) {
	f := newFixture(t)
	prov := f.provider("筛选测试单位")
	party := fmt.Sprintf("provider:%d", prov)
	a := f.newCase(caseSpec{provider: prov, kind: "repair", stage: "publicity", profile: "anshan"})
	b := f.newCase(caseSpec{provider: prov, kind: "objection", stage: "deciding"})
	f.deadline(a, "x", 1, party, "2026-03-10", "pending", nil)
	f.deadline(a, "y", 1, "centre", "2026-03-10", "pending", nil)
	f.deadline(b, "z", 1, party, "2026-03-11", "pending", nil)
	bd := board(sh(2026, 3, 2, 9))
	ctx := context.Background()
	cases := []struct {
		f    supervision.BoardFilter
		want []string
	}{
		{supervision.BoardFilter{Party: party, Kind: "repair"}, []string{"x:green"}},
		{supervision.BoardFilter{Party: party, Stage: "deciding"}, []string{"z:green"}},
		{supervision.BoardFilter{Party: party, Profile: "anshan"}, []string{"x:green"}},
		{supervision.BoardFilter{Party: party}, []string{"x:green", "z:green"}},
	}
	for _, c := range cases {
		p, err := bd.List(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := labels(p.Items); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v; want %v", c.f, got, c.want)
		}
	}
	p, err := bd.List(ctx, supervision.BoardFilter{Party: "centre", Profile: "anshan", Kind: "repair"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range p.Items {
		found = found || (it.CaseNo == a && it.Rule == "y")
	}
	if !found {
		t.Errorf("party=centre misses %s/y: %v", a, labels(p.Items))
	}
	// Closing a case takes its deadlines, missed ones included, off the
	// board (case_open follows cases.status); reopening brings them back.
	f.exec(`UPDATE case_deadlines SET state = 'missed' WHERE case_no = $1 AND rule_id = 'x'`, a)
	for _, st := range []string{"closed", "open"} {
		f.exec(`UPDATE cases SET status = $2 WHERE case_no = $1`, a, st)
		p, err := bd.List(ctx, supervision.BoardFilter{Party: party})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"closed": {"z:green"}, "open": {"x:red", "z:green"}}[st]
		if got := labels(p.Items); !slices.Equal(got, want) {
			t.Errorf("case %s: %v; want %v", st, got, want)
		}
	}
	// A stage change follows onto the deadlines.
	f.exec(`UPDATE cases SET stage = 'appeal' WHERE case_no = $1`, b)
	for stage, want := range map[string][]string{"deciding": nil, "appeal": {"z:green"}} {
		p, err := bd.List(ctx, supervision.BoardFilter{Party: party, Stage: stage})
		if err != nil {
			t.Fatal(err)
		}
		if got := labels(p.Items); !slices.Equal(got, want) {
			t.Errorf("stage=%s after the change: %v; want %v", stage, got, want)
		}
	}
	for _, bad := range []supervision.BoardFilter{{Light: "blue"}, {Party: "provider:x"}, {Party: "nobody"}, {After: "!!"}} {
		var inv *supervision.ErrInvalid
		if _, err := bd.List(ctx, bad); !errors.As(err, &inv) {
			t.Errorf("%+v: error %v; want ErrInvalid", bad, err)
		}
	}
}

// A case's lights follow the profile version it runs under (issue 11.2):
// after the profile's warning margin changed from 1 to 3 working days, a
// case opened under the new version turns yellow 3 working days ahead; a
// case still running under the old version stays green until 1 day ahead,
// though the board's process has only the new version loaded — and the
// reverse for a board that loaded the old one.
func TestBoardLightsFollowTheCaseProfileVersion(t *testing.T) {
	ctx := context.Background()
	old, err := policy.Default().Get("nantong")
	if err != nil {
		t.Fatal(err)
	}
	from := "warning_margin_wd:\n    value: 1\n"
	if !strings.Contains(string(old.Document()), from) {
		t.Fatalf("the nantong profile no longer has %q", from)
	}
	dir := t.TempDir()
	doc := strings.Replace(string(old.Document()), from, "warning_margin_wd:\n    value: 3\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "nantong.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	open := func(d rules.Dirs) *rules.Rules {
		local, err := rules.LoadLocal(d)
		if err != nil {
			t.Fatal(err)
		}
		r, err := rules.Open(ctx, testPool, local, zerolog.Nop(), "board test")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	before := open(rules.Dirs{})
	after := open(rules.Dirs{Policy: dir})
	changed, _ := after.Policies().Get("nantong")
	if changed.Version == old.Version {
		t.Fatal("the changed profile kept its version")
	}

	f := newFixture(t)
	prov := f.provider("版本测试单位")
	party := fmt.Sprintf("provider:%d", prov)
	oldCase := f.newCase(caseSpec{provider: prov, version: old.Version})
	newCase := f.newCase(caseSpec{provider: prov, version: changed.Version})
	// Monday 2026-03-02: a deadline due Thursday 03-05 has 3 working days left.
	f.deadline(oldCase, "reply", 1, party, "2026-03-05", "pending", nil)
	f.deadline(newCase, "reply", 1, party, "2026-03-05", "pending", nil)
	now := sh(2026, 3, 2, 10)
	for name, rl := range map[string]*rules.Rules{"new version loaded": after, "old version loaded": before} {
		b := &supervision.Board{Pool: testPool, Rules: rl, Now: func() time.Time { return now }}
		p, err := b.List(ctx, supervision.BoardFilter{Party: party})
		if err != nil {
			t.Fatal(err)
		}
		lights := map[string]string{}
		for _, it := range p.Items {
			lights[it.CaseNo] = it.Light
		}
		if lights[oldCase] != supervision.Green || lights[newCase] != supervision.Yellow {
			t.Errorf("%s: old-version case %s, new-version case %s; want green (margin 1) and yellow (margin 3)",
				name, lights[oldCase], lights[newCase])
		}
		// The light filter is the same condition in SQL.
		y, err := b.List(ctx, supervision.BoardFilter{Party: party, Light: supervision.Yellow})
		if err != nil {
			t.Fatal(err)
		}
		if len(y.Items) != 1 || y.Items[0].CaseNo != newCase {
			t.Errorf("%s: yellow = %v; want only the new-version case", name, labels(y.Items))
		}
	}
}
