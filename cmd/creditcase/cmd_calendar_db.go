package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/config"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/temporalclient"
	"github.com/creditcase/creditcase/worker"
)

// openRules opens the rules in the database of DATABASE_URL, as a role
// does at start (CALENDAR_DIR and POLICY_DIR included).
func openRules(ctx context.Context) (*rules.Rules, func(), error) {
	cfg, err := config.FromEnv("json")
	if err != nil {
		return nil, nil, err
	}
	local, err := rules.LoadLocal(rules.Dirs{Calendar: cfg.CalendarDir, Policy: cfg.PolicyDir})
	if err != nil {
		return nil, nil, err
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	r, err := rules.Open(ctx, pool, local, zerolog.Nop(), "cli "+host)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return r, pool.Close, nil
}

// calendarImport stores calendar files as a new revision (or, --dry-run,
// shows what they would change) and starts the recompute of the cases.
func calendarImport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("calendar import", flag.ContinueOnError)
	reason := fs.String("reason", "", "why (e.g. the notice's title and number); required")
	dry := fs.Bool("dry-run", false, "validate and show the diff; store nothing")
	asJSON := fs.Bool("json", false, "print JSON")
	paths, err := parseFlags(fs, args, calendarUsage, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return newUsageError("calendar import: give the file(s) to import")
	}
	var files []calendar.File
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(p)
		files = append(files, calendar.File{Origin: abs, Data: b})
	}
	r, closeDB, err := openRules(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	actor := audit.Actor{Username: "cli", Role: "admin"}
	if u, err := user.Current(); err == nil {
		actor.Username = "cli:" + u.Username
	}
	res, err := r.Import(ctx, rules.ImportRequest{Files: files, Actor: actor, Reason: *reason, DryRun: *dry})
	if err != nil {
		return err
	}
	var started, startErr string
	if !*dry {
		tc, err := temporalclient.Dial(ctx, temporalclient.Options{Logger: zerolog.Nop()})
		if err == nil {
			started, err = worker.StartCalendarRecompute(ctx, tc, res.Revision, *reason)
			tc.Close()
		}
		if err != nil {
			startErr = err.Error() + " (a worker starts it at its next start)"
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"import": res, "recompute_workflow": started, "recompute_error": startErr})
	}
	printImport(stdout, res)
	if started != "" {
		fmt.Fprintf(stdout, "recompute started: workflow %s (progress: creditcase calendar status)\n", started)
	}
	if startErr != "" {
		fmt.Fprintf(stdout, "recompute NOT started: %s\n", startErr)
	}
	return nil
}

func printImport(w io.Writer, res rules.ImportResult) {
	if res.DryRun {
		fmt.Fprintf(w, "dry run: nothing stored; the files would replace revision %d\n", res.Previous)
	} else {
		fmt.Fprintf(w, "stored as calendar revision %d (replacing %d)\n", res.Revision, res.Previous)
	}
	fmt.Fprintf(w, "files: %s\n", strings.Join(res.Files, ", "))
	for _, y := range res.Changes.Years {
		where := "national"
		if y.Region != "" {
			where = y.Region
		}
		fmt.Fprintf(w, "year %d (%s): %s -> %s\n", y.Year, where, y.Before, y.After)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tREGION\tBEFORE\tAFTER")
	for _, d := range res.Changes.Days {
		region := "-"
		if d.Region != "" {
			region = d.Region
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\n", d.Date, d.Date.Weekday().String()[:3], region, d.Before, d.After)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "open cases whose deadlines may move: %d\n", res.AffectedCases)
}

// calendarStatus prints the operator's view.
func calendarStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("calendar status", flag.ContinueOnError)
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
	r, closeDB, err := openRules(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	st, err := r.Status(ctx, time.Now())
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(stdout, "calendar revision %d, national version %s (today %s)\n", st.Revision, st.Versions[""], st.Today)
	if st.Warning != "" {
		fmt.Fprintf(stdout, "WARNING: %s\n", st.Warning)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "YEAR\tSTATUS\tSOURCE")
	for _, y := range st.Years {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", y.Year, y.Status, y.Source)
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "open cases with provisional deadlines: %d (%d deadlines)\n", st.OpenCasesProvisional, st.DeadlinesProvisional)
	if !st.ProvisionalFrom.IsZero() {
		fmt.Fprintf(stdout, "deadlines of %s started from %s on are provisional\n", st.LongestRule, st.ProvisionalFrom)
	}
	for _, run := range st.Recomputes {
		fmt.Fprintf(stdout, "recompute after revision %d (%s, by %s %s): %s, %d/%d cases, %d deadlines moved\n",
			run.Revision, run.Reason, run.ImportedBy, run.ImportedAt.Format(time.RFC3339), run.State, run.Done, run.Cases, run.Moved)
	}
	return nil
}
