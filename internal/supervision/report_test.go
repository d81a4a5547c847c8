package supervision_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/supervision"
)

func TestProviderPerformanceReport(t *testing.T) {
	f := newFixture(t)
	p1 := f.provider("甲局")
	p2 := f.provider("乙局")
	party1, party2 := fmt.Sprintf("provider:%d", p1), fmt.Sprintf("provider:%d", p2)
	c1 := f.newCase(caseSpec{provider: p1})
	c2 := f.newCase(caseSpec{provider: p2})
	at := func(d string, h int) *time.Time {
		x := calendar.MustParseDate(d).Start().Add(time.Duration(h) * time.Hour)
		return &x
	}
	// Provider 1, rule reply: 3 on time (one settled in the last hour of
	// its due day), 1 late (met after the lapse), 1 missed.
	f.deadline(c1, "reply", 1, party1, "2030-05-06", "met", at("2030-05-05", 10))
	f.deadline(c1, "reply", 2, party1, "2030-05-07", "met", at("2030-05-07", 23))
	f.deadline(c1, "reply", 3, party1, "2030-05-31", "met", at("2030-05-31", 9))
	f.deadline(c1, "reply", 4, party1, "2030-05-08", "met", at("2030-05-09", 10))
	f.deadline(c1, "reply", 5, party1, "2030-05-09", "missed", at("2030-05-10", 0))
	// Provider 1, rule opinion: 1 missed.
	f.deadline(c1, "opinion", 1, party1, "2030-05-12", "missed", at("2030-05-13", 0))
	// Left out: outside the period, superseded, cancelled, pending, not a provider.
	f.deadline(c1, "reply", 6, party1, "2030-04-30", "missed", at("2030-05-01", 0))
	f.deadline(c1, "reply", 7, party1, "2030-06-01", "met", at("2030-05-30", 0))
	f.deadline(c1, "reply", 8, party1, "2030-05-15", "superseded", at("2030-05-10", 0))
	f.deadline(c1, "reply", 9, party1, "2030-05-15", "cancelled", at("2030-05-10", 0))
	f.deadline(c1, "reply", 10, party1, "2030-05-15", "pending", nil)
	f.deadline(c1, "centre-check", 1, "centre", "2030-05-15", "missed", at("2030-05-16", 0))
	// Provider 2: 2 on time.
	f.deadline(c2, "reply", 1, party2, "2030-05-02", "met", at("2030-05-01", 0))
	f.deadline(c2, "reply", 2, party2, "2030-05-20", "met", at("2030-05-20", 0))

	r := &supervision.Report{Pool: testPool}
	rep, err := r.Providers(context.Background(), calendar.MustParseDate("2030-05-01"), calendar.MustParseDate("2030-05-31"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Providers) != 2 {
		t.Fatalf("providers %+v; want 2", rep.Providers)
	}
	a, b := rep.Providers[0], rep.Providers[1]
	if a.ProviderID != p1 || a.ProviderName != "甲局" || a.Total != 6 || a.OnTime != 3 || a.Late != 1 || a.Missed != 2 || a.OnTimeRate != 0.5 {
		t.Errorf("provider 1 total %+v; want 6 = 3 on time + 1 late + 2 missed, rate 0.5", a.Performance)
	}
	if len(a.Rules) != 2 || a.Rules[0].Rule != "opinion" || a.Rules[0].Missed != 1 || a.Rules[0].OnTimeRate != 0 ||
		a.Rules[1].Rule != "reply" || a.Rules[1].Total != 5 || a.Rules[1].OnTime != 3 || a.Rules[1].OnTimeRate != 0.6 {
		t.Errorf("provider 1 rules %+v", a.Rules)
	}
	if b.ProviderID != p2 || b.Total != 2 || b.OnTime != 2 || b.OnTimeRate != 1 {
		t.Errorf("provider 2 %+v", b.Performance)
	}

	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(buf.String(), "\ufeff")), "\n")
	want := []string{
		"from,to,provider_id,provider_name,rule,total,on_time,late,missed,on_time_rate",
		fmt.Sprintf("2030-05-01,2030-05-31,%d,甲局,*,6,3,1,2,0.5000", p1),
		fmt.Sprintf("2030-05-01,2030-05-31,%d,甲局,opinion,1,0,0,1,0.0000", p1),
		fmt.Sprintf("2030-05-01,2030-05-31,%d,甲局,reply,5,3,1,1,0.6000", p1),
		fmt.Sprintf("2030-05-01,2030-05-31,%d,乙局,*,2,2,0,0,1.0000", p2),
		fmt.Sprintf("2030-05-01,2030-05-31,%d,乙局,reply,2,2,0,0,1.0000", p2),
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("CSV\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if _, err := r.Providers(context.Background(), calendar.MustParseDate("2030-05-31"), calendar.MustParseDate("2030-05-01")); err == nil {
		t.Error("to before from accepted")
	}
}

// A provider's name is typed by an administrator and lands in the CSV the
// supervisor opens in a spreadsheet: a name that begins like a formula must
// arrive as text, not run.
func TestProviderReportCSVNamesAreNotFormulas(t *testing.T) {
	rep := supervision.ProviderReport{From: "2030-05-01", To: "2030-05-31"}
	for i, name := range []string{`=cmd|' /C calc'!A0`, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "甲局", "a=b"} {
		rep.Providers = append(rep.Providers, supervision.ProviderTotal{Performance: supervision.Performance{
			ProviderID: int64(i + 1), ProviderName: name, Total: 1, OnTime: 1, OnTimeRate: 1}})
	}
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff")))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`'=cmd|' /C calc'!A0`, "'+1+1", "'-2+3", "'@SUM(A1)", "'\t=1", "甲局", "a=b"}
	if len(rows) != len(want)+1 {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want)+1, buf.String())
	}
	for i, w := range want {
		if got := rows[i+1][3]; got != w {
			t.Errorf("provider %d: name cell %q, want %q", i+1, got, w)
		}
	}
}
