package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
)

const calendarUsage = `Usage:
  creditcase calendar add --from DATE --days N [--unit wd|cd|month|year] [--region NAME] [--provisional] [--json]
  creditcase calendar day DATE [--region NAME] [--provisional] [--json]
  creditcase calendar check [--json]
  creditcase calendar import FILE... --reason TEXT [--dry-run] [--json]
  creditcase calendar status [--json]

add    computes a deadline: N units after DATE (the start day is not counted,
       民法典 art. 201), due at 24:00 Asia/Shanghai of the last day (art. 203),
       with the days skipped and why. DATE is YYYY-MM-DD or an RFC 3339 instant
       (taken as its Asia/Shanghai date). Units: wd working days (default),
       cd calendar days, month, year. --region applies an overlay (guangxi).
       A year without a published holiday schedule fails unless --provisional.
day    says whether DATE is a working day.
check  validates the holiday data (embedded, plus CALENDAR_DIR if set) and
       prints each year's working-day count and source notice.
import stores a national year (cn/YYYY.json format) or a regional overlay
       (regions/NAME.json format) in the database of DATABASE_URL as a new
       calendar revision that every API, worker and board replica uses at
       once: validated against the calendar it amends, shown as a diff
       (--dry-run stores nothing), audited; then the recompute of every open
       case it may concern starts (TEMPORAL_ADDRESS). Under "creditcase dev"
       use POST /api/v1/admin/calendar/imports instead.
status the operator's view (DATABASE_URL): years published, provisional or
       missing; open cases with provisional deadlines and from which start
       date deadlines turn provisional; recompute runs and their progress;
       the warning shown from 1 November while next year is missing.

Environment: CALENDAR_DIR  directory with cn/YYYY.json and regions/NAME.json
             files that add or correct years without a rebuild.`

func init() {
	register(command{
		name:    "calendar",
		summary: "working-day calendar: compute deadlines, check the holiday data",
		usage:   calendarUsage,
		run:     runCalendar,
	})
}

func runCalendar(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return newUsageError("missing subcommand: add, day, check, import or status")
	}
	switch args[0] {
	case "add":
		return calendarAdd(args[1:], stdout)
	case "day":
		return calendarDay(args[1:], stdout)
	case "check":
		return calendarCheck(args[1:], stdout)
	case "import":
		return calendarImport(ctx, args[1:], stdout)
	case "status":
		return calendarStatus(ctx, args[1:], stdout)
	}
	return newUsageError("unknown subcommand %q: want add, day, check, import or status", args[0])
}

// parseFlags parses flags that may come before or after positional
// arguments and returns the positional ones. -h prints usage and returns
// flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(stdout, usage)
				return nil, flag.ErrHelp
			}
			return nil, newUsageError("%s", err)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// loadCalendar returns the calendar with CALENDAR_DIR applied; an invalid
// override is an error naming the file and line.
func loadCalendar() (*calendar.Calendar, error) {
	dir := os.Getenv("CALENDAR_DIR")
	cal, err := calendar.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("CALENDAR_DIR %s: %w", dir, err)
	}
	return cal, nil
}

// parseStart accepts YYYY-MM-DD or an RFC 3339 instant.
func parseStart(s string) (calendar.Date, error) {
	if d, err := calendar.ParseDate(s); err == nil {
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return calendar.Date{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 instant", s)
	}
	return calendar.DateOf(t), nil
}

func calendarAdd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("calendar add", flag.ContinueOnError)
	from := fs.String("from", "", "start date YYYY-MM-DD or RFC 3339 instant (not counted)")
	n := fs.Int("days", 0, "length of the period")
	unit := fs.String("unit", string(calendar.WorkingDays), "wd, cd, month or year")
	region := fs.String("region", "", "calendar overlay, e.g. guangxi")
	provisional := fs.Bool("provisional", false, "allow years whose schedule is not published (result flagged)")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseFlags(fs, args, calendarUsage, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return newUsageError("unexpected argument %q", rest[0])
	}
	if *from == "" {
		return newUsageError("--from is required")
	}
	start, err := parseStart(*from)
	if err != nil {
		return newUsageError("--from: %v", err)
	}
	if *n < 1 {
		return newUsageError("--days must be at least 1")
	}
	u := calendar.Unit(*unit)
	if !u.Valid() {
		return newUsageError("--unit %q: want wd, cd, month or year", *unit)
	}
	cal, err := loadCalendar()
	if err != nil {
		return err
	}
	dl, err := cal.Add(start, *n, u, calendar.Options{Region: *region, Provisional: *provisional})
	if errors.Is(err, calendar.ErrUnknownRegion) {
		return newUsageError("--region %q: known regions: %s", *region, strings.Join(cal.Regions(), ", "))
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(dl)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	reg := dl.Region
	if reg == "" {
		reg = "national"
	}
	fmt.Fprintf(tw, "due\t%s %s, 24:00 Asia/Shanghai (expires %s)\n", dl.Due, dl.Due.Weekday().String()[:3], dl.DueAt.Format(time.RFC3339))
	fmt.Fprintf(tw, "period\t%s + %d %s\n", dl.Start, dl.N, dl.Unit)
	fmt.Fprintf(tw, "region\t%s\n", reg)
	fmt.Fprintf(tw, "version\t%s\n", dl.Version)
	fmt.Fprintf(tw, "provisional\t%s\n", yesNo(dl.Provisional))
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "explanation: %s\n", dl.Explanation)
	return err
}

func calendarDay(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("calendar day", flag.ContinueOnError)
	region := fs.String("region", "", "calendar overlay, e.g. guangxi")
	provisional := fs.Bool("provisional", false, "allow years whose schedule is not published")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseFlags(fs, args, calendarUsage, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return newUsageError("want exactly one DATE")
	}
	d, err := parseStart(rest[0])
	if err != nil {
		return newUsageError("%v", err)
	}
	cal, err := loadCalendar()
	if err != nil {
		return err
	}
	ok, err := cal.IsWorkingDay(d, calendar.Options{Region: *region, Provisional: *provisional})
	if errors.Is(err, calendar.ErrUnknownRegion) {
		return newUsageError("--region %q: known regions: %s", *region, strings.Join(cal.Regions(), ", "))
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{
			"date": d, "region": *region, "working_day": ok, "version": cal.Version(*region),
		})
	}
	what := "a working day"
	if !ok {
		what = "not a working day"
	}
	_, err = fmt.Fprintf(stdout, "%s %s is %s\n", d, d.Weekday().String()[:3], what)
	return err
}

func calendarCheck(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("calendar check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseFlags(fs, args, calendarUsage, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return newUsageError("unexpected argument %q", rest[0])
	}
	dir := os.Getenv("CALENDAR_DIR")
	cal, err := calendar.Load(dir)
	if err != nil {
		return fmt.Errorf("invalid calendar data: %w", err)
	}
	type regionReport struct {
		Region  string              `json:"region"`
		Name    string              `json:"name,omitempty"`
		Version string              `json:"version"`
		Years   []calendar.YearInfo `json:"years"`
	}
	var reports []regionReport
	for _, r := range append([]string{""}, cal.Regions()...) {
		years, err := cal.Years(r)
		if err != nil {
			return err
		}
		rep := regionReport{Region: r, Version: cal.Version(r), Years: years}
		if r != "" {
			rep.Name, _, _, _ = cal.RegionInfo(r)
		}
		reports = append(reports, rep)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"ok": true, "override_dir": dir, "regions": reports})
	}
	origin := "embedded data"
	if dir != "" {
		origin = "embedded data + CALENDAR_DIR " + dir
	}
	fmt.Fprintf(stdout, "calendar data valid (%s)\n", origin)
	for _, rep := range reports {
		title := "national schedule (国务院办公厅部分节假日安排)"
		if rep.Region != "" {
			title = "region " + rep.Region + " (" + rep.Name + "): national schedule + overlay"
		}
		fmt.Fprintf(stdout, "\n%s, version %s\n", title, rep.Version)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "YEAR\tSTATUS\tWORKING DAYS\tSOURCE")
		for _, y := range rep.Years {
			wd := "-"
			if y.WorkingDays > 0 {
				wd = strconv.Itoa(y.WorkingDays)
			}
			src := ""
			if len(y.Sources) > 0 {
				s := y.Sources[0]
				src = strings.TrimSpace(s.Title + " " + s.Number + " (" + s.Date + ") " + s.URL)
				if len(y.Sources) > 1 {
					src += fmt.Sprintf(" +%d more", len(y.Sources)-1)
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", y.Year, y.Status, wd, src)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
