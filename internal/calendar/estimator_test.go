package calendar

import (
	"strings"
	"testing"
	"time"
)

// The lunar dates of lunarHolidays and the law's statutory days are days
// off in every published year: the table agrees with the State Council.
func TestStatutoryDaysOffInPublishedYears(t *testing.T) {
	cal := Default()
	for y := 2020; y <= 2026; y++ {
		days := statutoryDays(y)
		if len(days) < 10 {
			t.Fatalf("%d: only %d statutory days", y, len(days))
		}
		for _, d := range days {
			wd, err := cal.IsWorkingDay(d.Date, Options{})
			if err != nil || wd {
				t.Errorf("%d: statutory %s %s is a working day in the published schedule (%v)", y, d.Date, d.Name, err)
			}
		}
	}
}

// Art. 6 补假 in 2027 (issue 17): 春节 初一/初二 on Sat 02-06 and Sun 02-07
// are made up on Tue 02-09 and Wed 02-10; 劳动节 on Sat/Sun on Mon 05-03 and
// Tue 05-04; 国庆 Oct 2–3 on Sat/Sun on Mon 10-04 and Tue 10-05.
func TestProvisionalMakeUpDays2027(t *testing.T) {
	cal := Default()
	got, err := cal.Add(d("2027-02-04"), 3, WorkingDays, Options{Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Due != d("2027-02-15") || !got.Provisional {
		t.Errorf("2027-02-04 + 3 WD provisional = %s (provisional %v), want 2027-02-15", got.Due, got.Provisional)
	}
	for _, want := range []string{"2027-02-09..02-10 春节补假 off", ProvisionalNote} {
		if !strings.Contains(got.Explanation, want) {
			t.Errorf("explanation %q lacks %q", got.Explanation, want)
		}
	}
	for _, off := range []string{"2027-02-09", "2027-02-10", "2027-05-03", "2027-05-04", "2027-10-04", "2027-10-05"} {
		if wd, err := cal.IsWorkingDay(d(off), Options{Provisional: true}); err != nil || wd {
			t.Errorf("%s working = %v, %v; want a 补假 day off", off, wd, err)
		}
	}
	for _, work := range []string{"2027-02-11", "2027-05-05", "2027-10-06", "2027-06-10", "2027-09-16"} {
		if wd, err := cal.IsWorkingDay(d(work), Options{Provisional: true}); err != nil || !wd {
			t.Errorf("%s working = %v, %v; want a working day", work, wd, err)
		}
	}
}

// 补假 skips weekends and other holidays and never lands on a statutory day.
func TestMakeUpDaysOffRules(t *testing.T) {
	// 2028: 元旦 on Sat → Mon 01-03.
	got := makeUpDaysOff(statutoryDays(2028))
	var dates []string
	for _, m := range got {
		dates = append(dates, m.Date.String()+" "+m.Name)
		if wd := m.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("补假 on a weekend: %s", m.Date)
		}
	}
	if len(got) == 0 || got[0].Date != d("2028-01-03") || got[0].Name != "元旦补假" {
		t.Errorf("2028 补假 = %v, want 2028-01-03 元旦补假 first", dates)
	}
}

// The estimator's figures for the published years 2020–2026 (issue 17):
// with art. 6 fewer provisional answers differ from the published calendar.
// `go run ./bench/estimator` prints them.
func TestEstimatorAgainstPublishedYears(t *testing.T) {
	f, err := EvaluateEstimator([]int{2020, 2021, 2022, 2023, 2024, 2025, 2026}, []int{3, 5, 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compared %d, differing before art. 6: %d, after: %d", f.Compared, f.Before, f.After)
	if f.Compared < 7*365*3-100 {
		t.Errorf("compared only %d computations", f.Compared)
	}
	if f.After >= f.Before {
		t.Errorf("补假 did not help: before %d, after %d", f.Before, f.After)
	}
}
