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

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
)

const policyUsage = `Usage:
  creditcase policy list [--json]
  creditcase policy show PROFILE [--json]
  creditcase policy check

list   lists the locality profiles (nantong is the default).
show   prints a profile's deadline rules, periods and settings as a table;
       * marks a national fallback used where the regulation is silent.
check  validates the profiles (embedded, plus POLICY_DIR if set) against
       the rule catalogue and the calendar regions.

Environment: POLICY_DIR  directory with PROFILE.yaml files that replace or
             add profiles without a rebuild.`

func init() {
	register(command{
		name:    "policy",
		summary: "locality policy profiles: deadline rules with their articles",
		usage:   policyUsage,
		run:     runPolicy,
	})
}

func runPolicy(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return newUsageError("missing subcommand: list, show or check")
	}
	fs := flag.NewFlagSet("policy "+args[0], flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseFlags(fs, args[1:], policyUsage, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		if len(rest) > 0 {
			return newUsageError("unexpected argument %q", rest[0])
		}
		set, err := loadPolicies()
		if err != nil {
			return err
		}
		return policyList(set, *asJSON, stdout)
	case "show":
		if len(rest) != 1 {
			return newUsageError("want exactly one PROFILE")
		}
		set, err := loadPolicies()
		if err != nil {
			return err
		}
		p, err := set.Get(rest[0])
		if err != nil {
			return newUsageError("unknown profile %q: known profiles: %s", rest[0], strings.Join(set.IDs(), ", "))
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(p)
		}
		return policyShow(p, stdout)
	case "check":
		if len(rest) > 0 {
			return newUsageError("unexpected argument %q", rest[0])
		}
		return policyCheck(stdout)
	}
	return newUsageError("unknown subcommand %q: want list, show or check", args[0])
}

// loadPolicies returns the profiles with POLICY_DIR applied; an invalid
// override is an error naming the file and line.
func loadPolicies() (*policy.Set, error) {
	dir := os.Getenv("POLICY_DIR")
	set, err := policy.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("POLICY_DIR %s: %w", dir, err)
	}
	return set, nil
}

func policyList(set *policy.Set, asJSON bool, stdout io.Writer) error {
	if asJSON {
		type item struct {
			ID, Name, Region, Version, Regulation string
			Default                               bool
		}
		var items []item
		for _, id := range set.IDs() {
			p, _ := set.Get(id)
			items = append(items, item{p.ID, p.Name, p.Region, p.Version, p.Regulation, id == policy.DefaultProfileID})
		}
		return json.NewEncoder(stdout).Encode(items)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREGION\tVERSION\tNAME\tREGULATION")
	for _, id := range set.IDs() {
		p, _ := set.Get(id)
		region := p.Region
		if region == "" {
			region = "-"
		}
		name := p.Name
		if id == policy.DefaultProfileID {
			name += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, region, p.Version, name, p.Regulation)
	}
	return tw.Flush()
}

func policyShow(p *policy.Profile, stdout io.Writer) error {
	region := p.Region
	if region == "" {
		region = "national calendar only"
	}
	fmt.Fprintf(stdout, "%s — %s\nregulation: %s\ncalendar:   %s\nversion:    %s (%s)\n\n", p.ID, p.Name, p.Regulation, region, p.Version, p.Source)

	star := func(fallback bool) string {
		if fallback {
			return "*"
		}
		return ""
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tLENGTH\tSTARTS ON\tON LAPSE\tREMIND\tSOURCE")
	for _, r := range p.Rules {
		remind := "-"
		if r.RemindBefore > 0 {
			remind = strconv.Itoa(r.RemindBefore) + " wd before"
		}
		fmt.Fprintf(tw, "%s\t%d %s\t%s\t%s\t%s\t%s%s\n", r.ID, r.Length, r.Unit, r.StartsOn, strings.Join(r.OnLapse, ","), remind, star(r.Fallback), r.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PERIOD\tLENGTH\tSOURCE")
	for _, r := range p.Periods {
		fmt.Fprintf(tw, "%s\t%d %s\t%s%s\n", r.ID, r.Length, r.Unit, star(r.Fallback), r.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := p.Settings
	fmt.Fprintln(stdout, "\nSETTINGS")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "labelled record during objection\t%s\t%s%s\n", s.LabelledRecord.Value, star(s.LabelledRecord.Fallback), s.LabelledRecord.Source)
	fmt.Fprintf(tw, "provider lapse stops public query\t%s\t%s%s\n", yesNo(s.ProviderLapseStopsPublicQuery.Value), star(s.ProviderLapseStopsPublicQuery.Fallback), s.ProviderLapseStopsPublicQuery.Source)
	fmt.Fprintf(tw, "unverifiable objection deletes record\t%s\t%s%s\n", yesNo(s.UnverifiableDeleted.Value), star(s.UnverifiableDeleted.Fallback), s.UnverifiableDeleted.Source)
	fmt.Fprintf(tw, "board warning margin\t%d wd\t%s%s\n", s.WarningMarginWD.Value, star(s.WarningMarginWD.Fallback), s.WarningMarginWD.Source)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range p.Notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	_, err := fmt.Fprintln(stdout, "\n* national fallback (DESIGN.md §2): the regulation is silent on this point")
	return err
}

func policyCheck(stdout io.Writer) error {
	dir := os.Getenv("POLICY_DIR")
	set, err := policy.Load(dir)
	if err != nil {
		return fmt.Errorf("invalid policy profiles: %w", err)
	}
	cal, err := calendar.Load(os.Getenv("CALENDAR_DIR"))
	if err != nil {
		return fmt.Errorf("invalid calendar data: %w", err)
	}
	for _, id := range set.IDs() {
		p, _ := set.Get(id)
		if p.Region != "" && cal.Version(p.Region) == "" {
			return fmt.Errorf("profile %s: calendar region %q does not exist (known: %s)", id, p.Region, strings.Join(cal.Regions(), ", "))
		}
		fallbacks := 0
		for _, r := range p.Rules {
			if r.Fallback {
				fallbacks++
			}
		}
		fmt.Fprintf(stdout, "%s\tok\t%d rules (%d national fallbacks), %d periods, version %s\n", id, len(p.Rules), fallbacks, len(p.Periods), p.Version)
	}
	return nil
}
