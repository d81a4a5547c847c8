package calendar

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func d(s string) Date { return MustParseDate(s) }

// TestAddWorkingDaysKnownDates checks dates worked out by hand from the
// State Council notices and the Guangxi notices, around every 调休 day and
// across year ends.
func TestAddWorkingDaysKnownDates(t *testing.T) {
	cal := Default()
	tests := []struct {
		start  string
		n      int
		region string
		want   string
		why    string
	}{
		// From the issue.
		{"2025-01-24", 1, "", "2025-01-26", "01-25 Sat off, 01-26 Sun 调休上班"},
		{"2025-09-30", 5, "", "2025-10-14", "10-01..10-08 off; 10-11 Sat counted"},
		{"2026-02-13", 3, "", "2026-02-25", "02-14 Sat counted; 02-15..02-23 off"},
		// 2025, every 调休 day.
		{"2025-01-24", 2, "", "2025-01-27", ""},
		{"2025-01-27", 1, "", "2025-02-05", "春节 01-28..02-04"},
		{"2025-02-07", 1, "", "2025-02-08", "02-08 Sat 调休上班"},
		{"2025-04-03", 1, "", "2025-04-07", "清明 04-04..04-06"},
		{"2025-04-25", 1, "", "2025-04-27", "04-27 Sun 调休上班"},
		{"2025-04-30", 1, "", "2025-05-06", "劳动节 05-01..05-05"},
		{"2025-05-30", 1, "", "2025-06-03", "端午 05-31..06-02"},
		{"2025-09-26", 1, "", "2025-09-28", "09-28 Sun 调休上班"},
		{"2025-10-10", 1, "", "2025-10-11", "10-11 Sat 调休上班"},
		{"2025-10-11", 1, "", "2025-10-13", ""},
		// Year end 2025 → 2026.
		{"2025-12-31", 1, "", "2026-01-04", "元旦 01-01..01-03; 01-04 Sun 调休上班"},
		{"2025-12-31", 2, "", "2026-01-05", ""},
		{"2025-12-26", 5, "", "2026-01-05", "12-29..12-31 (3), 01-04 Sun (4), 01-05 (5)"},
		// 2026, every 调休 day.
		{"2026-02-13", 1, "", "2026-02-14", "02-14 Sat 调休上班"},
		{"2026-02-13", 2, "", "2026-02-24", ""},
		{"2026-02-27", 1, "", "2026-02-28", "02-28 Sat 调休上班"},
		{"2026-04-03", 1, "", "2026-04-07", "清明 04-04..04-06"},
		{"2026-04-30", 1, "", "2026-05-06", "劳动节 05-01..05-05"},
		{"2026-05-08", 1, "", "2026-05-09", "05-09 Sat 调休上班"},
		{"2026-06-18", 1, "", "2026-06-22", "端午 06-19..06-21"},
		{"2026-09-18", 1, "", "2026-09-20", "09-20 Sun 调休上班"},
		{"2026-09-24", 1, "", "2026-09-28", "中秋 09-25..09-27"},
		{"2026-09-30", 3, "", "2026-10-10", "国庆 10-01..10-07; 10-10 Sat counted"},
		{"2026-10-09", 1, "", "2026-10-10", ""},
		{"2026-09-30", 10, "", "2026-10-20", ""},
		// 2024 and the 2024 → 2025 year end.
		{"2024-02-02", 1, "", "2024-02-04", "02-04 Sun 调休上班"},
		{"2024-02-09", 1, "", "2024-02-18", "春节 02-10..02-17; 02-18 Sun"},
		{"2024-04-03", 1, "", "2024-04-07", "04-07 Sun 调休上班"},
		{"2024-04-26", 1, "", "2024-04-28", "04-28 Sun 调休上班"},
		{"2024-05-10", 1, "", "2024-05-11", "05-11 Sat 调休上班"},
		{"2024-06-07", 1, "", "2024-06-11", "端午 06-10 Mon"},
		{"2024-09-13", 1, "", "2024-09-14", "09-14 Sat 调休上班"},
		{"2024-09-27", 1, "", "2024-09-29", "09-29 Sun 调休上班"},
		{"2024-10-11", 1, "", "2024-10-12", "10-12 Sat 调休上班"},
		{"2024-12-31", 1, "", "2025-01-02", "元旦 2025-01-01"},
		// 2023 and the 2022 → 2023 year end.
		{"2022-12-30", 1, "", "2023-01-03", "元旦 2022-12-31..2023-01-02"},
		{"2023-01-20", 1, "", "2023-01-28", "春节 01-21..01-27; 01-28 Sat"},
		{"2023-01-28", 1, "", "2023-01-29", "01-29 Sun 调休上班"},
		{"2023-04-04", 1, "", "2023-04-06", "清明 04-05 Wed only"},
		{"2023-04-21", 1, "", "2023-04-23", "04-23 Sun 调休上班"},
		{"2023-05-05", 1, "", "2023-05-06", "05-06 Sat 调休上班"},
		{"2023-06-21", 1, "", "2023-06-25", "端午 06-22..06-24; 06-25 Sun"},
		{"2023-09-28", 1, "", "2023-10-07", "中秋国庆 09-29..10-06; 10-07 Sat"},
		{"2023-10-07", 1, "", "2023-10-08", "10-08 Sun 调休上班"},
		// 2022.
		{"2022-01-28", 1, "", "2022-01-29", "01-29 Sat 调休上班"},
		{"2022-01-29", 1, "", "2022-01-30", "01-30 Sun 调休上班"},
		{"2022-01-30", 1, "", "2022-02-07", "春节 01-31..02-06"},
		{"2022-04-01", 1, "", "2022-04-02", "04-02 Sat 调休上班"},
		{"2022-04-22", 1, "", "2022-04-24", "04-24 Sun 调休上班"},
		{"2022-05-06", 1, "", "2022-05-07", "05-07 Sat 调休上班"},
		{"2022-10-07", 1, "", "2022-10-08", "10-08 Sat 调休上班"},
		// 2021.
		{"2020-12-31", 1, "", "2021-01-04", "元旦 01-01..01-03"},
		{"2021-02-05", 1, "", "2021-02-07", "02-07 Sun 调休上班"},
		{"2021-02-19", 1, "", "2021-02-20", "02-20 Sat 调休上班"},
		{"2021-09-17", 1, "", "2021-09-18", "09-18 Sat 调休上班"},
		{"2021-09-24", 1, "", "2021-09-26", "09-26 Sun 调休上班"},
		{"2021-10-08", 1, "", "2021-10-09", "10-09 Sat 调休上班"},
		// 2020, with the extension of 春节 (02-01 no longer worked).
		{"2020-01-17", 1, "", "2020-01-19", "01-19 Sun 调休上班"},
		{"2020-01-23", 1, "", "2020-02-03", "春节 01-24..02-02 (extended)"},
		{"2020-06-24", 1, "", "2020-06-28", "端午 06-25..06-27; 06-28 Sun"},
		{"2020-09-25", 1, "", "2020-09-27", "09-27 Sun 调休上班"},
		{"2020-10-09", 1, "", "2020-10-10", "10-10 Sat 调休上班"},
		// Guangxi 壮族三月三.
		{"2024-04-10", 1, "guangxi", "2024-04-15", "04-11, 04-12 off"},
		{"2024-04-10", 1, "", "2024-04-11", "national: no 三月三"},
		{"2025-03-28", 1, "guangxi", "2025-04-02", "03-31, 04-01 off"},
		{"2025-03-28", 1, "", "2025-03-31", ""},
		{"2025-09-30", 5, "guangxi", "2025-10-14", "overlay does not touch October"},
		{"2021-04-13", 1, "guangxi", "2021-04-18", "04-14..04-17 off; 04-18 Sun 调休上班 (guangxi)"},
		{"2021-04-16", 1, "", "2021-04-19", "national: 04-18 is a Sunday"},
		{"2020-03-25", 1, "guangxi", "2020-03-26", "2020 三月三 cancelled (COVID-19)"},
		{"2022-04-01", 1, "guangxi", "2022-04-07", "04-02 national make-up Saturday is off in Guangxi"},
		{"2023-04-20", 1, "guangxi", "2023-04-24", "04-23 national make-up Sunday is off in Guangxi"},
		{"2023-04-20", 1, "", "2023-04-21", ""},
		{"2026-04-16", 1, "guangxi", "2026-04-21", "04-17..04-20 off (reported)"},
	}
	for _, tt := range tests {
		got, err := cal.Add(d(tt.start), tt.n, WorkingDays, Options{Region: tt.region})
		if err != nil {
			t.Errorf("%s + %d WD [%s]: %v", tt.start, tt.n, tt.region, err)
			continue
		}
		if got.Due.String() != tt.want {
			t.Errorf("%s + %d WD [%s] = %s, want %s (%s)\n%s", tt.start, tt.n, tt.region, got.Due, tt.want, tt.why, got.Explanation)
		}
		if got.Provisional {
			t.Errorf("%s + %d WD [%s]: unexpectedly provisional", tt.start, tt.n, tt.region)
		}
	}
}

func TestAddCalendarDaysMonthsYears(t *testing.T) {
	cal := Default()
	tests := []struct {
		start        string
		n            int
		unit         Unit
		region       string
		wantNominal  string
		wantDue      string
		explainParts []string
	}{
		{"2025-09-24", 7, CalendarDays, "", "2025-10-01", "2025-10-09", []string{"国庆节、中秋节 off", "民法典 art. 203", "2025-10-01..10-08"}},
		{"2025-03-01", 7, CalendarDays, "", "2025-03-08", "2025-03-10", []string{"= 2025-03-08 Sat, not a working day", "weekend skipped"}},
		{"2025-09-21", 7, CalendarDays, "", "2025-09-28", "2025-09-28", nil}, // a 调休 Sunday is a working day
		{"2025-03-03", 10, CalendarDays, "", "2025-03-13", "2025-03-13", nil},
		{"2026-12-22", 10, CalendarDays, "", "2027-01-01", "", nil}, // 2027 unpublished: error below
		{"2025-01-31", 1, Months, "", "2025-02-28", "2025-02-28", nil},
		{"2024-01-31", 1, Months, "", "2024-02-29", "2024-02-29", nil},
		{"2023-05-31", 3, Months, "", "2023-08-31", "2023-08-31", nil},
		{"2024-02-29", 1, Years, "", "2025-02-28", "2025-02-28", nil},
		{"2024-10-01", 1, Years, "", "2025-10-01", "2025-10-09", nil},
		{"2024-03-31", 1, Years, "guangxi", "2025-03-31", "2025-04-02", []string{"壮族三月三 off"}},
	}
	for _, tt := range tests {
		got, err := cal.Add(d(tt.start), tt.n, tt.unit, Options{Region: tt.region})
		if tt.wantDue == "" {
			var ue *UnpublishedYearError
			if !errors.As(err, &ue) || ue.Year != 2027 {
				t.Errorf("%s + %d %s: err = %v, want UnpublishedYearError 2027", tt.start, tt.n, tt.unit, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s + %d %s: %v", tt.start, tt.n, tt.unit, err)
			continue
		}
		if got.Nominal.String() != tt.wantNominal || got.Due.String() != tt.wantDue {
			t.Errorf("%s + %d %s = nominal %s due %s, want %s %s\n%s", tt.start, tt.n, tt.unit, got.Nominal, got.Due, tt.wantNominal, tt.wantDue, got.Explanation)
		}
		for _, p := range tt.explainParts {
			if !strings.Contains(got.Explanation, p) {
				t.Errorf("%s + %d %s: explanation %q lacks %q", tt.start, tt.n, tt.unit, got.Explanation, p)
			}
		}
	}
}

func TestDeadlineFieldsAndExplanation(t *testing.T) {
	got, err := Default().Add(d("2025-09-26"), 8, WorkingDays, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 09-28 Sun (1), 09-29 (2), 09-30 (3), 10-01..10-08 off, 10-09 (4),
	// 10-10 (5), 10-11 Sat (6), 10-13 (7), 10-14 (8).
	if got.Due != d("2025-10-14") {
		t.Fatalf("due = %s", got.Due)
	}
	wantAt := time.Date(2025, 10, 15, 0, 0, 0, 0, Shanghai)
	if !got.DueAt.Equal(wantAt) || got.DueAt.Format(time.RFC3339) != "2025-10-15T00:00:00+08:00" {
		t.Errorf("DueAt = %s, want %s", got.DueAt.Format(time.RFC3339), wantAt.Format(time.RFC3339))
	}
	want := "2025-09-26 + 8 working days (start day not counted): 2025-09-28 Sun 调休上班 counted; " +
		"2025-10-01..10-08 国庆节、中秋节 off; 2025-10-11 Sat 调休上班 counted; due 2025-10-14 Tue 24:00 Asia/Shanghai"
	if got.Explanation != want {
		t.Errorf("explanation\n got %q\nwant %q", got.Explanation, want)
	}
	if len(got.Skipped) != 1 || got.Skipped[0].From != d("2025-10-01") || got.Skipped[0].To != d("2025-10-08") {
		t.Errorf("skipped = %+v", got.Skipped)
	}
	if len(got.MakeUpDays) != 2 || got.MakeUpDays[0].Date != d("2025-09-28") || got.MakeUpDays[1].Date != d("2025-10-11") {
		t.Errorf("make-up days = %+v", got.MakeUpDays)
	}
	if !strings.HasPrefix(got.Version, "cn-") || got.Version != Default().Version("") {
		t.Errorf("version = %q", got.Version)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"due":"2025-10-14"`, `"due_at":"2025-10-15T00:00:00+08:00"`, `"version":"cn-`, `"provisional":false`, `"explanation":"2025-09-26`, `"unit":"wd"`, `"skipped":[{"from":"2025-10-01","to":"2025-10-08","name":"国庆节、中秋节"}]`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	var back Deadline
	if err := json.Unmarshal(b, &back); err != nil || back.Due != got.Due || !back.DueAt.Equal(got.DueAt) {
		t.Errorf("round trip: %v %+v", err, back)
	}

	// Region explanations name the overlay and flag reported years.
	g, err := Default().Add(d("2026-04-16"), 1, WorkingDays, Options{Region: "guangxi"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(g.Explanation, "2026-04-17..04-20 壮族三月三 off (guangxi, dates from secondary reports, unverified)") || !g.Skipped[0].Reported {
		t.Errorf("guangxi explanation %q", g.Explanation)
	}
	if g.Version == got.Version || !strings.HasPrefix(g.Version, "cn+guangxi-") {
		t.Errorf("region version %q must differ from national %q", g.Version, got.Version)
	}
	q, err := Default().Add(d("2025-03-03"), 5, WorkingDays, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if q.Explanation != "2025-03-03 + 5 working days (start day not counted): no holiday or 调休 day in between; due 2025-03-10 Mon 24:00 Asia/Shanghai" {
		t.Errorf("plain explanation %q", q.Explanation)
	}
}

func TestUnpublishedYear(t *testing.T) {
	cal := Default()
	_, err := cal.Add(d("2026-12-30"), 2, WorkingDays, Options{})
	var ue *UnpublishedYearError
	if !errors.As(err, &ue) || ue.Year != 2027 || ue.Region != "" {
		t.Fatalf("err = %v, want UnpublishedYearError{2027}", err)
	}
	if !strings.Contains(err.Error(), "2027") {
		t.Errorf("error %q does not name the year", err)
	}
	// Still 2026: fine.
	if got, err := cal.Add(d("2026-12-30"), 1, WorkingDays, Options{}); err != nil || got.Due != d("2026-12-31") {
		t.Errorf("2026-12-30 + 1 = %v, %v", got.Due, err)
	}
	// Provisional: 2027-01-01 (元旦, Fri) is still off.
	got, err := cal.Add(d("2026-12-30"), 2, WorkingDays, Options{Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.Due != d("2027-01-04") || !got.Provisional || len(got.UnpublishedYears) != 1 || got.UnpublishedYears[0] != 2027 {
		t.Errorf("provisional = %+v", got)
	}
	if !strings.Contains(got.Explanation, "2027-01-01 元旦 off") || !strings.Contains(got.Explanation, "PROVISIONAL") {
		t.Errorf("provisional explanation %q", got.Explanation)
	}
	// Provisional mode is never weekends only: 1 May, 1-3 Oct and the
	// statutory lunar days of 2027 are off.
	for _, off := range []string{"2027-01-01", "2027-02-05", "2027-02-08", "2027-04-05", "2027-05-03", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-04", "2028-05-01", "2028-05-02", "2028-10-02"} {
		wd, err := cal.IsWorkingDay(d(off), Options{Provisional: true})
		want := false // 2027-05-03 and 10-04 are 补假 (art. 6) of 劳动节 and 国庆节 on a weekend
		if err != nil || wd != want {
			t.Errorf("provisional IsWorkingDay(%s) = %v, %v; want %v", off, wd, err, want)
		}
	}
	if _, err := cal.IsWorkingDay(d("2027-03-01"), Options{}); !errors.As(err, &ue) {
		t.Errorf("IsWorkingDay 2027 strict: %v", err)
	}
	// Provisional flag only when an unpublished year is touched.
	if got, _ := cal.Add(d("2025-03-03"), 5, WorkingDays, Options{Provisional: true}); got.Provisional {
		t.Error("published period flagged provisional")
	}
	// An overlay year that is unknown is unpublished for the region only.
	if _, err := cal.Add(d("2019-03-01"), 1, WorkingDays, Options{}); !errors.As(err, &ue) || ue.Year != 2019 {
		t.Errorf("2019: %v", err)
	}
	gx, err := cal.Add(d("2027-04-08"), 1, WorkingDays, Options{Region: "guangxi", Provisional: true})
	if err != nil || gx.Due != d("2027-04-12") {
		t.Errorf("guangxi provisional 2027-04-08 + 1 = %v, %v (04-09 初三 off)", gx.Due, err)
	}
	_, err = cal.Add(d("2027-04-08"), 1, WorkingDays, Options{Region: "guangxi"})
	if !errors.As(err, &ue) || ue.Year != 2027 {
		t.Errorf("guangxi strict 2027: %v", err)
	}
}

func TestWorkingDaysPerYear(t *testing.T) {
	want := map[int]int{2020: 249, 2021: 250, 2022: 249, 2023: 249, 2024: 251, 2025: 248, 2026: 248}
	years, err := Default().Years("")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]int{}
	for _, y := range years {
		got[y.Year] = y.WorkingDays
		if y.Status == StatusPublished && len(y.Sources) == 0 {
			t.Errorf("%d has no source", y.Year)
		}
	}
	for y, n := range want {
		if got[y] != n {
			t.Errorf("%d: %d working days, want %d", y, got[y], n)
		}
	}
	if got[2027] != 0 {
		t.Errorf("2027 must be unpublished, has %d working days", got[2027])
	}
	// Guangxi: 2 fewer working days in 2024 and 2025.
	gx, err := Default().Years("guangxi")
	if err != nil {
		t.Fatal(err)
	}
	wantGX := map[int]int{2020: 249, 2021: 248, 2022: 247, 2023: 247, 2024: 249, 2025: 246, 2026: 246}
	for _, y := range gx {
		if n, ok := wantGX[y.Year]; ok && y.WorkingDays != n {
			t.Errorf("guangxi %d: %d working days, want %d", y.Year, y.WorkingDays, n)
		}
	}
}

func TestWorkingDaysBetweenAndSubtract(t *testing.T) {
	cal := Default()
	tests := []struct {
		from, to string
		want     int
	}{
		{"2025-09-30", "2025-10-14", 5},
		{"2025-10-14", "2025-10-14", 0},
		{"2025-10-14", "2025-10-13", -1},
		{"2025-10-14", "2025-09-30", -5},
		{"2025-09-30", "2025-10-08", 0}, // holidays only
		{"2025-12-31", "2026-01-05", 2},
		{"2025-01-01", "2025-12-31", 248},
	}
	for _, tt := range tests {
		got, err := cal.WorkingDaysBetween(d(tt.from), d(tt.to), Options{})
		if err != nil || got != tt.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, %v; want %d", tt.from, tt.to, got, err, tt.want)
		}
	}
	subs := []struct {
		due  string
		n    int
		want string
	}{
		{"2025-10-14", 1, "2025-10-13"},
		{"2025-10-13", 1, "2025-10-11"}, // Saturday make-up day
		{"2025-10-09", 1, "2025-09-30"},
		{"2026-01-05", 1, "2026-01-04"},
		{"2026-01-04", 1, "2025-12-31"},
		{"2026-02-25", 3, "2026-02-13"},
		{"2025-10-14", 0, "2025-10-14"},
	}
	for _, tt := range subs {
		got, err := cal.SubtractWorkingDays(d(tt.due), tt.n, Options{})
		if err != nil || got.String() != tt.want {
			t.Errorf("SubtractWorkingDays(%s, %d) = %s, %v; want %s", tt.due, tt.n, got, err, tt.want)
		}
	}
	if _, err := cal.WorkingDaysBetween(d("2026-12-01"), d("2027-01-10"), Options{}); err == nil {
		t.Error("WorkingDaysBetween into 2027 must fail closed")
	}
}

func TestBadArguments(t *testing.T) {
	cal := Default()
	if _, err := cal.Add(d("2025-01-01"), 0, WorkingDays, Options{}); !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("n=0: %v", err)
	}
	if _, err := cal.Add(d("2025-01-01"), 1, Unit("week"), Options{}); !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("unit week: %v", err)
	}
	if _, err := cal.Add(d("2025-01-01"), 1, WorkingDays, Options{Region: "atlantis"}); !errors.Is(err, ErrUnknownRegion) {
		t.Errorf("unknown region: %v", err)
	}
	if _, err := cal.Add(Date{2025, 2, 30}, 1, WorkingDays, Options{}); !errors.Is(err, ErrInvalidPeriod) {
		t.Errorf("invalid date: %v", err)
	}
	if _, err := cal.Add(d("2099-12-30"), 5, WorkingDays, Options{Provisional: true}); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("beyond 2099: %v", err)
	}
	if _, err := cal.Add(d("1999-12-30"), 5, WorkingDays, Options{Provisional: true}); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("before 2000: %v", err)
	}
}

func TestDateOfUsesShanghai(t *testing.T) {
	// 17:00 UTC is 01:00 the next day in Shanghai.
	inst := time.Date(2025, 1, 24, 17, 0, 0, 0, time.UTC)
	for _, loc := range []string{"UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"} {
		l, err := time.LoadLocation(loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := DateOf(inst.In(l)); got != d("2025-01-25") {
			t.Errorf("DateOf in %s = %s, want 2025-01-25", loc, got)
		}
	}
	// 2025-01-24 23:30 Shanghai: +1 WD is the Sunday make-up day 01-26.
	got, err := Default().AddFrom(time.Date(2025, 1, 24, 15, 30, 0, 0, time.UTC), 1, WorkingDays, Options{})
	if err != nil || got.Due != d("2025-01-26") {
		t.Errorf("AddFrom = %v, %v", got.Due, err)
	}
}

func TestDateParsing(t *testing.T) {
	for _, bad := range []string{"", "2025-1-01", "2025-02-29", "2024-13-01", "2024-00-10", "20x4-01-01", "2024/01/01", "2024-04-31"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	for _, good := range []string{"2024-02-29", "2000-01-01", "2099-12-31"} {
		if v, err := ParseDate(good); err != nil || v.String() != good {
			t.Errorf("ParseDate(%q) = %v, %v", good, v, err)
		}
	}
	// Day numbers agree with package time for every day of the range.
	for dn := (Date{1999, 1, 1}).dayNumber(); dn < (Date{2101, 1, 1}).dayNumber(); dn++ {
		dt := fromDayNumber(dn)
		tm := time.Date(dt.Year, dt.Month, dt.Day, 12, 0, 0, 0, time.UTC)
		if tm.Unix()/86400 != int64(dn) || tm.Weekday() != dt.Weekday() || dt.dayNumber() != dn {
			t.Fatalf("day number %d: %v", dn, dt)
		}
	}
}
