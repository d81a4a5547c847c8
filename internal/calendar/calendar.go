// Package calendar computes legal deadlines in Chinese working days (工作日)
// and calendar days from the State Council holiday schedules
// (国务院办公厅关于YYYY年部分节假日安排的通知) and regional overlays such as
// Guangxi's 壮族三月三, shipped as data files embedded in the binary.
//
// Counting rules (民法典 arts. 201–203):
//   - dates are civil dates in Asia/Shanghai, never the UTC date and never
//     the process time zone (DateOf);
//   - the start day is not counted (art. 201): N working days from a start
//     date end on the Nth working day after it;
//   - a deadline ends at 24:00 Asia/Shanghai of its last day (art. 203),
//     represented as 00:00 of the following day (Deadline.DueAt);
//   - a period in calendar days, months or years whose last day is not a
//     working day (a 法定休假日: a holiday or a rest day that is not a
//     调休 make-up working day) ends on the first working day after it
//     (art. 203 para. 1); months and years end on the corresponding day
//     (art. 202).
//
// A working day is a Monday to Friday that is not a day off, or a Saturday
// or Sunday declared a make-up working day (调休上班). A year whose schedule is
// not published (2027 as of 2026-11-23), or whose regional overlay is
// unknown, fails closed with *UnpublishedYearError unless the caller asks for
// a provisional result, which is flagged (ProvisionalNote) and takes off the
// weekends, the statutory holidays of 全国年节及纪念日放假办法 art. 2 (the
// fixed dates, the lunar and solar-term dates of lunarHolidays and any
// provisional_days of the data) and their 补假 under art. 6: a statutory
// day on a Saturday or Sunday made up on the working days right after the
// holiday (statutory.go).
//
// A Calendar is immutable and safe for concurrent use.
package calendar

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Unit is the unit of a period length.
type Unit string

// Units. WorkingDays and CalendarDays are the units of procedural deadlines;
// Months and Years serve disclosure periods and the shortest periods before
// credit repair.
const (
	WorkingDays  Unit = "wd"    // 工作日
	CalendarDays Unit = "cd"    // 日 (自然日)
	Months       Unit = "month" // 月 (民法典 art. 202)
	Years        Unit = "year"  // 年 (民法典 art. 202)
)

// Valid reports whether u is a known unit.
func (u Unit) Valid() bool {
	switch u {
	case WorkingDays, CalendarDays, Months, Years:
		return true
	}
	return false
}

// Options select the regional overlay and provisional mode.
type Options struct {
	// Region is the overlay to apply ("" = national schedule only), e.g.
	// "guangxi" for Nanning and Qinzhou. A policy profile names it.
	Region string
	// Provisional allows years whose schedule is not published: the result
	// is computed from weekends and statutory days only and flagged.
	Provisional bool
}

// Errors.
var (
	// ErrOutOfRange: a date outside MinYear..MaxYear.
	ErrOutOfRange = errors.New("calendar: date outside the supported range")
	// ErrUnknownRegion: Options.Region names no overlay.
	ErrUnknownRegion = errors.New("calendar: unknown region")
	// ErrInvalidPeriod: a non-positive length, an unknown unit or an invalid
	// date.
	ErrInvalidPeriod = errors.New("calendar: invalid period")
)

// UnpublishedYearError reports that a computation needs a year whose
// holiday schedule is not published (nationally, or for the region's
// overlay). Retry with Options.Provisional to get a flagged estimate.
type UnpublishedYearError struct {
	Year int
	// Region is "" when the national schedule is missing, else the overlay
	// whose dates for Year are unknown.
	Region string
}

func (e *UnpublishedYearError) Error() string {
	if e.Region == "" {
		return fmt.Sprintf("calendar: the %d holiday schedule is not published (国务院办公厅关于%d年部分节假日安排的通知); use provisional mode for a flagged estimate", e.Year, e.Year)
	}
	return fmt.Sprintf("calendar: the %d holiday dates of region %s are not known; use provisional mode for a flagged estimate", e.Year, e.Region)
}

// Span is a run of consecutive days off skipped by a computation.
type Span struct {
	From Date   `json:"from"`
	To   Date   `json:"to"`
	Name string `json:"name"`
	// Region is set when the days come from a regional overlay.
	Region string `json:"region,omitempty"`
	// Reported marks overlay days known only from secondary reports.
	Reported bool `json:"reported,omitempty"`
}

// MakeUpDay is a Saturday or Sunday counted as a working day (调休上班).
type MakeUpDay struct {
	Date   Date   `json:"date"`
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
}

// Deadline is a computed deadline with everything needed to store, show and
// justify it.
type Deadline struct {
	Start  Date   `json:"start"`
	N      int    `json:"n"`
	Unit   Unit   `json:"unit"`
	Region string `json:"region,omitempty"`
	// Due is the last day of the period.
	Due Date `json:"due"`
	// DueAt is the moment the period expires: 24:00 Asia/Shanghai of Due,
	// i.e. 00:00 +08:00 of the next day. An act is in time iff it happens
	// before DueAt.
	DueAt time.Time `json:"due_at"`
	// Nominal is the last day before the 民法典 art. 203 extension over
	// days off (calendar-day, month and year units); equal to Due for
	// working days and when no extension applied.
	Nominal Date `json:"nominal"`
	// Version identifies the calendar data used, region included.
	Version string `json:"version"`
	// Provisional is true when the period touches a year whose schedule is
	// not published; recompute when it is.
	Provisional bool `json:"provisional"`
	// UnpublishedYears lists the years estimated (provisional results only).
	UnpublishedYears []int `json:"unpublished_years,omitempty"`
	// Explanation says, for people, which days were skipped or counted and
	// why, e.g. "2025-10-01..10-08 国庆节、中秋节 off; 2025-10-11 Sat 调休上班
	// counted; due 2025-10-14 Tue 24:00 Asia/Shanghai".
	Explanation string `json:"explanation"`
	// Skipped lists the named runs of days off inside the period (plain
	// weekends are not listed).
	Skipped []Span `json:"skipped,omitempty"`
	// MakeUpDays lists the weekend days counted as working days.
	MakeUpDays []MakeUpDay `json:"make_up_days,omitempty"`
}

// YearInfo describes one year of the data for people (`calendar check`).
type YearInfo struct {
	Year   int    `json:"year"`
	Region string `json:"region,omitempty"`
	// Status: published / unpublished (national); confirmed / reported /
	// unpublished (overlay; unknown years are reported as unpublished).
	Status string `json:"status"`
	// WorkingDays in the year with the overlay applied; 0 if unpublished.
	WorkingDays int      `json:"working_days"`
	Sources     []Source `json:"sources,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// Calendar is the compiled calendar: national schedule plus overlays.
type Calendar struct {
	data   *dataSet
	tables map[string]*table // "" = national
}

const nYears = MaxYear - MinYear + 1

// table holds one region's compiled calendar over MinYear..MaxYear.
type table struct {
	region  string
	version string
	base    int // day number of MinYear-01-01
	// cum[i+1] is the number of working days in day indexes [0, i].
	cum []int32
	// labels[i] indexes labelTab (0 = plain day).
	labels   []uint16
	labelTab []label
	// published[y-MinYear] reports whether the year may be used strictly.
	published [nYears]bool
	// unpublishedRegion[y-MinYear]: the national year is published but the
	// overlay is not (for the error's Region field).
	unpublishedRegion [nYears]bool
}

type label struct {
	name     string
	off      bool
	region   string
	reported bool
}

var (
	defaultOnce sync.Once
	defaultCal  *Calendar
)

// Default returns the calendar compiled from the embedded data. The data
// are validated by the tests; Default panics only if they are invalid.
func Default() *Calendar {
	defaultOnce.Do(func() {
		files, err := readEmbedded()
		if err == nil {
			defaultCal, err = compileFiles(files)
		}
		if err != nil {
			panic("calendar: embedded data invalid: " + err.Error())
		}
	})
	return defaultCal
}

// Load returns the embedded calendar amended by the files of overrideDir
// (layout cn/YYYY.json, regions/NAME.json; a file replaces the embedded file
// of the same name or adds a year or region). It is meant for the
// CALENDAR_DIR setting: a new year's schedule or a correction without a
// rebuild. With overrideDir == "" it returns Default(). On any invalid file
// it returns an error naming the file and the problem; callers keep using
// Default().
func Load(overrideDir string) (*Calendar, error) {
	if overrideDir == "" {
		return Default(), nil
	}
	files, err := readEmbedded()
	if err != nil {
		return nil, err
	}
	if err := readOverrides(overrideDir, files); err != nil {
		return nil, err
	}
	return compileFiles(files)
}

func compileFiles(files map[string]rawFile) (*Calendar, error) {
	ds, err := parseFiles(files)
	if err != nil {
		return nil, err
	}
	c := &Calendar{data: ds, tables: map[string]*table{}}
	c.tables[""] = compile(ds, "")
	for name := range ds.regions {
		c.tables[name] = compile(ds, name)
	}
	return c, nil
}

func compile(ds *dataSet, region string) *table {
	t := &table{region: region, base: Date{MinYear, time.January, 1}.dayNumber()}
	end := Date{MaxYear, time.December, 31}.dayNumber()
	n := end - t.base + 1
	work := make([]bool, n)
	t.labels = make([]uint16, n)
	t.labelTab = []label{{}}
	labelIdx := map[label]uint16{}
	for i := range work {
		wd := weekdayOf(t.base + i)
		work[i] = wd != time.Saturday && wd != time.Sunday
	}
	apply := func(days []dayEntry, reg string, reported bool) {
		for _, d := range days {
			i := d.Date.dayNumber() - t.base
			work[i] = d.Kind == kindWork
			l := label{name: d.Name, off: d.Kind == kindOff, region: reg, reported: reported}
			li, ok := labelIdx[l]
			if !ok {
				li = uint16(len(t.labelTab))
				t.labelTab = append(t.labelTab, l)
				labelIdx[l] = li
			}
			t.labels[i] = li
		}
	}
	var rf *regionFile
	if region != "" {
		rf = ds.regions[region]
	}
	for y := MinYear; y <= MaxYear; y++ {
		nat := ds.years[y]
		natPublished := nat != nil && nat.Status == StatusPublished
		if natPublished {
			apply(nat.Days, "", false)
		} else {
			apply(provisionalDaysOff(y, nat, !ds.noMakeUp), "", false)
		}
		published := natPublished
		if rf != nil {
			ry := findRegionYear(rf, y)
			switch {
			case ry == nil:
				published = false
			case ry.Status == StatusUnpublished:
				published = false
				apply(ry.ProvisionalDays, region, false)
			default:
				apply(ry.Days, region, ry.Status == StatusReported)
			}
			if natPublished && !published {
				t.unpublishedRegion[y-MinYear] = true
			}
		}
		t.published[y-MinYear] = published
	}
	t.cum = make([]int32, n+1)
	for i, w := range work {
		t.cum[i+1] = t.cum[i]
		if w {
			t.cum[i+1]++
		}
	}
	t.version = versionOf(ds, region)
	return t
}

func findRegionYear(rf *regionFile, y int) *regionYear {
	for i := range rf.Years {
		if rf.Years[i].Year == y {
			return &rf.Years[i]
		}
	}
	return nil
}

// versionOf hashes the normalised data a region's table is built from.
func versionOf(ds *dataSet, region string) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	// The estimator's rules are part of the data of an unpublished year.
	_ = enc.Encode(estimatorRules)
	for _, y := range sortedKeys(ds.years) {
		_ = enc.Encode(ds.years[y]) // cannot fail: plain data
	}
	name := "cn"
	if region != "" {
		_ = enc.Encode(ds.regions[region])
		name = "cn+" + region
	}
	return name + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}

func (c *Calendar) table(region string) (*table, error) {
	t, ok := c.tables[region]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownRegion, region)
	}
	return t, nil
}

func (t *table) index(d Date) (int, error) {
	if !d.Valid() {
		return 0, fmt.Errorf("%w: invalid date %04d-%02d-%02d", ErrInvalidPeriod, d.Year, int(d.Month), d.Day)
	}
	if d.Year < MinYear || d.Year > MaxYear {
		return 0, fmt.Errorf("%w: %s (supported %d..%d)", ErrOutOfRange, d, MinYear, MaxYear)
	}
	return d.dayNumber() - t.base, nil
}

func (t *table) working(i int) bool { return t.cum[i+1] > t.cum[i] }

func (t *table) date(i int) Date { return fromDayNumber(t.base + i) }

// checkYears returns an *UnpublishedYearError for the first unpublished
// year of day indexes [from, to], unless provisional, in which case it
// returns the unpublished years.
func (t *table) checkYears(from, to int, provisional bool) ([]int, error) {
	if to < from {
		return nil, nil
	}
	y0, y1 := t.date(from).Year, t.date(to).Year
	var unpublished []int
	for y := y0; y <= y1; y++ {
		if t.published[y-MinYear] {
			continue
		}
		if !provisional {
			e := &UnpublishedYearError{Year: y}
			if t.unpublishedRegion[y-MinYear] {
				e.Region = t.region
			}
			return nil, e
		}
		unpublished = append(unpublished, y)
	}
	return unpublished, nil
}

// Version returns the version of the data used for region ("" = national):
// a hash of the national files and the region's overlay, e.g.
// "cn+guangxi-3f9a1c2b7d4e". It returns "" for an unknown region.
func (c *Calendar) Version(region string) string {
	t, ok := c.tables[region]
	if !ok {
		return ""
	}
	return t.version
}

// Regions returns the names of the regional overlays, sorted.
func (c *Calendar) Regions() []string { return sortedKeys(c.data.regions) }

// IsWorkingDay reports whether d is a working day.
func (c *Calendar) IsWorkingDay(d Date, opt Options) (bool, error) {
	t, err := c.table(opt.Region)
	if err != nil {
		return false, err
	}
	i, err := t.index(d)
	if err != nil {
		return false, err
	}
	if _, err := t.checkYears(i, i, opt.Provisional); err != nil {
		return false, err
	}
	return t.working(i), nil
}

// WorkingDaysBetween returns the number of working days in (from, to] — the
// working days remaining from today (from) to a due date (to), as the
// supervisor board shows them: 0 means the deadline expires at the end of
// today, 1 at the end of the next working day. When to is before from the
// result is negative: minus the working days in (to, from], i.e. -1 when the
// deadline expired at the end of the previous working day (overdue).
func (c *Calendar) WorkingDaysBetween(from, to Date, opt Options) (int, error) {
	t, err := c.table(opt.Region)
	if err != nil {
		return 0, err
	}
	a, err := t.index(from)
	if err != nil {
		return 0, err
	}
	b, err := t.index(to)
	if err != nil {
		return 0, err
	}
	sign := 1
	if b < a {
		a, b, sign = b, a, -1
	}
	if _, err := t.checkYears(a+1, b, opt.Provisional); err != nil {
		return 0, err
	}
	return sign * int(t.cum[b+1]-t.cum[a+1]), nil
}

// SubtractWorkingDays returns the nth working day before due (due itself not
// counted): the reminder point "n working days before the deadline". For a
// working-day due date, adding n working days to the result gives due back.
// n == 0 returns due.
func (c *Calendar) SubtractWorkingDays(due Date, n int, opt Options) (Date, error) {
	t, err := c.table(opt.Region)
	if err != nil {
		return Date{}, err
	}
	e, err := t.index(due)
	if err != nil {
		return Date{}, err
	}
	if n < 0 {
		return Date{}, fmt.Errorf("%w: n = %d", ErrInvalidPeriod, n)
	}
	r := e
	for k := 0; k < n; {
		r--
		if r < 0 {
			return Date{}, fmt.Errorf("%w: %d working days before %s", ErrOutOfRange, n, due)
		}
		if t.working(r) {
			k++
		}
	}
	if _, err := t.checkYears(r, e, opt.Provisional); err != nil {
		return Date{}, err
	}
	return t.date(r), nil
}

// AddFrom is Add with the start taken as the Asia/Shanghai date of the
// instant start (e.g. when an objection was received).
func (c *Calendar) AddFrom(start time.Time, n int, unit Unit, opt Options) (Deadline, error) {
	return c.Add(DateOf(start), n, unit, opt)
}

// Add computes the deadline of a period of n units starting on start (the
// start day itself is not counted, 民法典 art. 201):
//   - WorkingDays: the nth working day after start;
//   - CalendarDays: start + n days;
//   - Months, Years: the corresponding day n months or years later, or the
//     month's last day if there is none (art. 202);
//
// and, for the last three, if that day is not a working day, the first
// working day after it (art. 203). The deadline expires at 24:00
// Asia/Shanghai of Due (Deadline.DueAt).
func (c *Calendar) Add(start Date, n int, unit Unit, opt Options) (Deadline, error) {
	t, err := c.table(opt.Region)
	if err != nil {
		return Deadline{}, err
	}
	s, err := t.index(start)
	if err != nil {
		return Deadline{}, err
	}
	if n < 1 {
		return Deadline{}, fmt.Errorf("%w: length %d (must be at least 1)", ErrInvalidPeriod, n)
	}
	var due, nominal int
	switch unit {
	case WorkingDays:
		target := t.cum[s+1] + int32(n)
		last := len(t.cum) - 2
		if int(t.cum[last+1]) < int(target) {
			return Deadline{}, fmt.Errorf("%w: %s + %d working days", ErrOutOfRange, start, n)
		}
		i := s + 1
		for t.cum[i+1] < target {
			i++
		}
		due, nominal = i, i
	case CalendarDays, Months, Years:
		var nd Date
		switch unit {
		case CalendarDays:
			nd = start.AddDays(n)
		case Months:
			nd = addMonths(start, n)
		default:
			nd = addMonths(start, 12*n)
		}
		if nominal, err = t.index(nd); err != nil {
			return Deadline{}, err
		}
		due = nominal
		for !t.working(due) {
			due++
			if due >= len(t.labels) {
				return Deadline{}, fmt.Errorf("%w: %s + %d %s", ErrOutOfRange, start, n, unit)
			}
		}
	default:
		return Deadline{}, fmt.Errorf("%w: unknown unit %q", ErrInvalidPeriod, unit)
	}
	// Years whose data the result depends on: every day counted for working
	// days; the last day and its extension otherwise.
	from := s + 1
	if unit != WorkingDays {
		from = nominal
	}
	unpublished, err := t.checkYears(from, due, opt.Provisional)
	if err != nil {
		return Deadline{}, err
	}
	dueDate := t.date(due)
	d := Deadline{
		Start:            start,
		N:                n,
		Unit:             unit,
		Region:           opt.Region,
		Due:              dueDate,
		DueAt:            dueDate.End(),
		Nominal:          t.date(nominal),
		Version:          t.version,
		Provisional:      len(unpublished) > 0,
		UnpublishedYears: unpublished,
	}
	t.explain(&d, s, nominal, due)
	return d, nil
}

// Years describes every national year of the data with its working-day
// count and sources, and, for a region, the overlay status.
func (c *Calendar) Years(region string) ([]YearInfo, error) {
	t, err := c.table(region)
	if err != nil {
		return nil, err
	}
	var out []YearInfo
	years := sortedKeys(c.data.years)
	if len(years) == 0 {
		return nil, nil
	}
	var rf *regionFile
	if region != "" {
		rf = c.data.regions[region]
	}
	for y := years[0]; y <= years[len(years)-1]; y++ {
		info := YearInfo{Year: y, Region: region, Status: StatusUnpublished}
		if yf := c.data.years[y]; yf != nil {
			info.Status = yf.Status
			info.Sources = yf.Sources
			info.Notes = yf.Notes
		}
		if rf != nil {
			info.Status, info.Sources, info.Notes = StatusUnpublished, nil, nil
			if ry := findRegionYear(rf, y); ry != nil {
				info.Status = ry.Status
				info.Sources = ry.Sources
				info.Notes = ry.Notes
			}
		}
		if t.published[y-MinYear] {
			a := Date{y, time.January, 1}.dayNumber() - t.base
			b := Date{y, time.December, 31}.dayNumber() - t.base
			info.WorkingDays = int(t.cum[b+1] - t.cum[a])
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out, nil
}

// RegionInfo returns the display name, legal basis and notes of a region's
// overlay.
func (c *Calendar) RegionInfo(region string) (name, basis string, notes []string, err error) {
	rf, ok := c.data.regions[region]
	if !ok {
		return "", "", nil, fmt.Errorf("%w %q", ErrUnknownRegion, region)
	}
	return rf.Name, rf.Basis, rf.Notes, nil
}
