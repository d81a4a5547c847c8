package web

import (
	"net/url"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/records"
)

// A refusal's field lands next to its input: the element id is the
// step's name and the field's, as the core spells the field.
func TestRefusalFieldsFindTheirInputs(t *testing.T) {
	for in, want := range map[string]string{
		"reasons":             "reasons",
		"correction.title":    "correction-title",
		"answers[0].reasons":  "answers-0-reasons",
		"answers[12].adopted": "answers-12-adopted",
		"evidence[1]":         "evidence",
		"file[0]":             "evidence",
		"period.length":       "period-length",
	} {
		if got := fieldID(in); got != want {
			t.Errorf("fieldID(%q) = %q, want %q", in, got, want)
		}
	}
}

// A recomputed or extended deadline shows the due dates it replaced,
// latest first; the replaced ones leave the list of settled deadlines.
func TestDeadlineShowsWhatItReplaced(t *testing.T) {
	dl := func(rule string, seq int, state, due string) deadlineView {
		return deadlineView{Deadline: casework.Deadline{Rule: rule, Seq: seq, State: state, DueDate: due}}
	}
	pending := []deadlineView{dl("objection.verify", 3, "pending", "2027-01-20")}
	settled := []deadlineView{
		dl("objection.verify", 1, "superseded", "2027-01-08"),
		dl("objection.accept", 1, "met", "2026-12-31"),
		dl("objection.verify", 2, "superseded", "2027-01-13"),
	}
	p, s := withPrevious(pending, settled)
	if len(s) != 1 || s[0].Rule != "objection.accept" {
		t.Fatalf("settled after = %+v, want only the met acceptance", s)
	}
	prev := p[0].Previous
	if len(prev) != 2 || prev[0].DueDate != "2027-01-13" || prev[1].DueDate != "2027-01-08" {
		t.Errorf("previous of the pending verification = %+v, want 13 then 8 January", prev)
	}
}

// A record's history lists the newest version first with the fields each
// version changed.
func TestVersionsShowTheirChanges(t *testing.T) {
	vs := []records.Version{
		{Version: 1, Snapshot: map[string]any{"title": "未按期报送统计报表", "severity": "general"}},
		{Version: 2, Snapshot: map[string]any{"title": "逾期报送统计报表（已更正）", "severity": "general"}},
	}
	out := versionViews(vs)
	if len(out) != 2 || out[0].Version.Version != 2 {
		t.Fatalf("versions %+v, want newest first", out)
	}
	if len(out[0].Changes) != 1 || out[0].Changes[0] != (fieldChange{Field: "title", From: "未按期报送统计报表", To: "逾期报送统计报表（已更正）"}) {
		t.Errorf("changes of version 2 = %+v, want the title only", out[0].Changes)
	}
	if len(out[1].Changes) != 0 {
		t.Errorf("the first version changes %+v", out[1].Changes)
	}
}

// The correction form sends only the fields the reader filled in; an
// empty form sends no correction at all.
func TestCorrectionOfForm(t *testing.T) {
	f := url.Values{"correction.title": {" 新标题 "}, "correction.content": {""}, "correction.unknown": {"x"}}
	got := correctionOf(f)
	if len(got) != 1 || got["title"] != "新标题" {
		t.Errorf("correction = %v, want the title only", got)
	}
	if got := correctionOf(url.Values{"correction.title": {"  "}}); got != nil {
		t.Errorf("blank form gives correction %v, want none", got)
	}
}

// Dates and times typed into a step are Beijing time; a date alone is the
// start of that day; anything else is refused.
func TestInstantIsBeijingTime(t *testing.T) {
	got, ok := instant("2027-01-05", "09:30")
	if !ok || !got.Equal(time.Date(2027, 1, 5, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("2027-01-05 09:30 = %v %v, want 01:30 UTC", got, ok)
	}
	got, ok = instant("2027-01-05", "09:30:15")
	if !ok || !got.Equal(time.Date(2027, 1, 5, 1, 30, 15, 0, time.UTC)) {
		t.Errorf("with seconds = %v %v", got, ok)
	}
	got, ok = instant("2027-01-05", "")
	if !ok || !got.Equal(time.Date(2027, 1, 5, 0, 0, 0, 0, calendar.Shanghai)) {
		t.Errorf("date alone = %v %v", got, ok)
	}
	for _, bad := range [][2]string{{"", "09:30"}, {"2027-13-01", ""}, {"5 January", ""}, {"2027-01-05", "9h"}} {
		if _, ok := instant(bad[0], bad[1]); ok {
			t.Errorf("instant(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// What is missing, typed one item a line, reaches the notice without the
// blank lines.
func TestLinesDropBlanks(t *testing.T) {
	got := lines("身份证明复印件\n\n  授权委托书 \r\n")
	if len(got) != 2 || got[0] != "身份证明复印件" || got[1] != "授权委托书" {
		t.Errorf("lines = %q", got)
	}
	for in, want := range map[string][2]bool{"1": {true, true}, "0": {false, true}, "": {false, false}, "yes": {false, false}} {
		if v, ok := yesNo(in); v != want[0] || ok != want[1] {
			t.Errorf("yesNo(%q) = %v %v", in, v, ok)
		}
	}
}

// A deadline moved by a pause of the clock says so in the reader's
// language, with the days the clock stood still.
func TestDeadlineReasonInWords(t *testing.T) {
	zh := &page{L: localizerZH}
	if got := deadlineReason(zh, "clock paused 2026-11-30..2026-12-02"); got != "中止计时：2026年11月30日至2026年12月2日" {
		t.Errorf("pause reason %q", got)
	}
	en := &page{L: localizerEN}
	if got := deadlineReason(en, "clock paused 2026-11-30..2026-12-02"); got != "clock paused 30 November 2026 to 2 December 2026" {
		t.Errorf("pause reason %q", got)
	}
	// A recount after a calendar import (ChangeRecomputeCompare) names the
	// revision; the Chinese page showed it in English before.
	if got := deadlineReason(zh, "calendar changed (revision 2): 国务院办公厅关于2027年部分节假日安排的通知"); got != "工作日历更新（第2次修订）：国务院办公厅关于2027年部分节假日安排的通知" {
		t.Errorf("recount reason %q", got)
	}
	if got := deadlineReason(en, "calendar changed (revision 2): notice"); got != "working-day calendar updated (revision 2): notice" {
		t.Errorf("recount reason %q", got)
	}
	if got := deadlineReason(zh, "鉴定需要（批准人：张主任）"); got != "鉴定需要（批准人：张主任）" {
		t.Errorf("a person's reason is changed: %q", got)
	}
}

// After the decision applied the provider's correction, its reply still
// reads old → new: each field from the version current when it replied.
func TestReplyShowsTheRecordAsItWasThen(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	rec := recordView{
		Record: records.Record{Title: "逾期报送统计报表（已更正）"},
		Versions: versionViews([]records.Version{
			{Version: 1, WrittenAt: t0.Add(-time.Hour), Snapshot: map[string]any{"title": "未按期报送统计报表"}},
			{Version: 2, WrittenAt: t0.Add(time.Hour), Snapshot: map[string]any{"title": "逾期报送统计报表（已更正）"}},
		}),
	}
	events := []casework.CaseEvent{{At: t0, Action: "objection.provider_replied", Reason: "经核实有误",
		Data: []byte(`{"finding":"error","correction":{"title":"逾期报送统计报表（已更正）"}}`)}}
	r := replyOf(events, rec)
	if r == nil || r.Finding != "error" || len(r.Changes) != 1 {
		t.Fatalf("reply %+v", r)
	}
	if c := r.Changes[0]; c.From != "未按期报送统计报表" || c.To != "逾期报送统计报表（已更正）" {
		t.Errorf("change %+v, want from the title as it was when the provider replied", c)
	}
}

// The calendar's diff reads in the reader's language: the core's day
// descriptions become words of the catalogue.
func TestCalendarDaysInWords(t *testing.T) {
	p := &page{L: localizerZH}
	for in, want := range map[string]string{
		"working day":          "工作日",
		"off: weekend":         "休息日（周末）",
		"working day: 春节 调休上班": "工作日（春节调休上班）",
		"off: 劳动节":             "休息日：劳动节",
	} {
		if got := dayDesc(p, in); got != want {
			t.Errorf("dayDesc(%q) = %q, want %q", in, got, want)
		}
	}
}
