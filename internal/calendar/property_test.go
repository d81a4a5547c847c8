package calendar

import (
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

var (
	propFirst = Date{2020, time.January, 1}.dayNumber()
	propLast  = Date{2026, time.October, 31}.dayNumber() // + up to 40 WD stays in 2026
)

// checkAdd asserts the properties of one working-day addition.
func checkAdd(t testing.TB, cal *Calendar, start Date, n int, opt Options) {
	t.Helper()
	got, err := cal.Add(start, n, WorkingDays, opt)
	if err != nil {
		var ue *UnpublishedYearError
		if errors.As(err, &ue) || errors.Is(err, ErrOutOfRange) {
			return
		}
		t.Fatalf("%s + %d %+v: %v", start, n, opt, err)
	}
	// The due day is a working day.
	if ok, err := cal.IsWorkingDay(got.Due, opt); err != nil || !ok {
		t.Fatalf("%s + %d %+v: due %s is not a working day (%v)", start, n, opt, got.Due, err)
	}
	// Exactly n working days lie in (start, due].
	if k, err := cal.WorkingDaysBetween(start, got.Due, opt); err != nil || k != n {
		t.Fatalf("%s + %d %+v: %d working days in (start, %s], want %d (%v)", start, n, opt, k, got.Due, n, err)
	}
	// ... counted naively day by day too.
	k := 0
	for day := start.AddDays(1); !day.After(got.Due); day = day.AddDays(1) {
		if ok, _ := cal.IsWorkingDay(day, opt); ok {
			k++
		}
	}
	if k != n {
		t.Fatalf("%s + %d %+v: naive count %d", start, n, opt, k)
	}
	// Adding a then b equals adding a+b.
	for a := 1; a < n; a += 1 + n/4 {
		first, err1 := cal.Add(start, a, WorkingDays, opt)
		second, err2 := cal.Add(first.Due, n-a, WorkingDays, opt)
		if err1 != nil || err2 != nil || second.Due != got.Due {
			t.Fatalf("%s: +%d then +%d = %s, +%d = %s (%v %v)", start, a, n-a, second.Due, n, got.Due, err1, err2)
		}
	}
	// The due date never moves earlier as n grows.
	if n > 1 {
		prev, err := cal.Add(start, n-1, WorkingDays, opt)
		if err != nil || !prev.Due.Before(got.Due) {
			t.Fatalf("%s: +%d = %s not before +%d = %s", start, n-1, prev.Due, n, got.Due)
		}
	}
	// Subtracting n working days from the due date gives a day on or before
	// the start, from which adding n gives the due date back.
	back, err := cal.SubtractWorkingDays(got.Due, n, opt)
	var ue *UnpublishedYearError
	if errors.As(err, &ue) && ue.Year < start.Year {
		return // the day found lies before the data (e.g. 2019)
	}
	if err != nil || back.After(start) {
		t.Fatalf("%s + %d = %s, - %d = %s (%v)", start, n, got.Due, n, back, err)
	}
	if again, err := cal.Add(back, n, WorkingDays, opt); err != nil || again.Due != got.Due {
		t.Fatalf("%s - %d = %s, + %d = %s (%v)", got.Due, n, back, n, again.Due, err)
	}
}

func TestAddProperties(t *testing.T) {
	cal := Default()
	rng := rand.New(rand.NewSource(20261123))
	for _, region := range []string{"", "guangxi"} {
		opt := Options{Region: region}
		// Every start day of 2025-2026 with small n, then random samples.
		for dn := (Date{2025, 1, 1}).dayNumber(); dn <= propLast; dn++ {
			checkAdd(t, cal, fromDayNumber(dn), 1+int(dn%7), opt)
		}
		for i := 0; i < 3000; i++ {
			start := fromDayNumber(propFirst + rng.Intn(propLast-propFirst))
			checkAdd(t, cal, start, 1+rng.Intn(40), opt)
		}
	}
	// Provisional mode over the unpublished years keeps the properties.
	for i := 0; i < 500; i++ {
		start := fromDayNumber((Date{2026, 11, 1}).dayNumber() + rng.Intn(800))
		checkAdd(t, cal, start, 1+rng.Intn(40), Options{Provisional: true})
	}
}

// FuzzAdd checks the properties for arbitrary starts (2020-2026) and lengths.
func FuzzAdd(f *testing.F) {
	f.Add(uint16(1850), uint8(1), false)
	f.Add(uint16(2099), uint8(5), true)
	f.Add(uint16(0), uint8(20), false)
	cal := Default()
	f.Fuzz(func(t *testing.T, offset uint16, n uint8, guangxi bool) {
		start := fromDayNumber(propFirst + int(offset)%(propLast-propFirst))
		opt := Options{}
		if guangxi {
			opt.Region = "guangxi"
		}
		checkAdd(t, cal, start, 1+int(n)%60, opt)
	})
}

// TestIndependentOfProcessTimeZone computes the same deadlines with
// time.Local set to UTC and America/New_York, and in subprocesses run with
// TZ=UTC and TZ=America/New_York.
func TestIndependentOfProcessTimeZone(t *testing.T) {
	instants := []time.Time{
		time.Date(2025, 1, 26, 15, 30, 0, 0, time.UTC), // Sun 23:30 in Shanghai
		time.Date(2025, 1, 26, 16, 30, 0, 0, time.UTC), // Mon 00:30 in Shanghai, same UTC date
		time.Date(2025, 9, 30, 3, 0, 0, 0, time.UTC),
		time.Date(2026, 2, 13, 20, 0, 0, 0, time.UTC), // 02-14 04:00 in Shanghai
	}
	compute := func() string {
		var b strings.Builder
		for _, in := range instants {
			dl, err := Default().AddFrom(in, 3, WorkingDays, Options{})
			if err != nil {
				return err.Error()
			}
			b.WriteString(dl.Due.String() + " " + dl.DueAt.UTC().Format(time.RFC3339) + "\n")
		}
		return b.String()
	}
	if os.Getenv("CALENDAR_TZ_CHILD") == "1" {
		os.Stdout.WriteString("RESULT\n" + compute())
		return
	}
	saved := time.Local
	defer func() { time.Local = saved }()
	time.Local = time.UTC
	want := compute()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	time.Local = ny
	if got := compute(); got != want {
		t.Errorf("time.Local=America/New_York:\n%s\nUTC:\n%s", got, want)
	}
	if !strings.HasPrefix(want, "2025-02-06 2025-02-06T16:00:00Z\n2025-02-07 2025-02-07T16:00:00Z\n") {
		t.Errorf("unexpected results:\n%s", want)
	}
	if testing.Short() {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip("no test executable:", err)
	}
	for _, tz := range []string{"UTC", "America/New_York", "Asia/Shanghai"} {
		cmd := exec.Command(exe, "-test.run=^TestIndependentOfProcessTimeZone$")
		cmd.Env = append(os.Environ(), "CALENDAR_TZ_CHILD=1", "TZ="+tz)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("TZ=%s: %v\n%s", tz, err, out)
		}
		s := string(out)
		i := strings.Index(s, "RESULT\n")
		if i < 0 || !strings.HasPrefix(s[i+len("RESULT\n"):], want) {
			t.Errorf("TZ=%s gave\n%s\nwant\n%s", tz, s, want)
		}
	}
}

// BenchmarkAddWorkingDays measures Add for N in 1..20 over starts spread
// across 2025-2026, explanation included.
func BenchmarkAddWorkingDays(b *testing.B) {
	cal := Default()
	starts := make([]Date, 512)
	for i := range starts {
		starts[i] = fromDayNumber((Date{2025, 1, 1}).dayNumber() + i*683%650)
	}
	opt := Options{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cal.Add(starts[i&511], 1+i%20, WorkingDays, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorkingDaysBetween measures the supervisor-board query.
func BenchmarkWorkingDaysBetween(b *testing.B) {
	cal := Default()
	from, to := d("2025-09-30"), d("2025-10-14")
	for i := 0; i < b.N; i++ {
		if _, err := cal.WorkingDaysBetween(from, to, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
