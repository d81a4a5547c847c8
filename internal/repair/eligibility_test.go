package repair

import (
	"slices"
	"testing"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
)

func check(t *testing.T, f Facts) Result {
	t.Helper()
	prof, err := policy.Default().Get("nantong")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Check(f, prof, calendar.Default())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func general(decided string) Record {
	return Record{ID: 1, ProviderID: 10, Category: "negative", Severity: "general", Status: "active",
		DecidedOn: calendar.MustParseDate(decided)}
}

func TestEligibleWithDocuments(t *testing.T) {
	r := check(t, Facts{Record: general("2026-01-15"), Today: calendar.MustParseDate("2026-05-01"), Documents: true, Commitment: true, Evidence: 1})
	if !r.Eligible || len(r.Failed) != 0 || r.From != nil {
		t.Fatalf("%+v", r)
	}
}

// General: 3 months from 2026-03-09 end on 2026-06-09; apply from 06-10.
func TestTooEarlyGivesDate(t *testing.T) {
	r := check(t, Facts{Record: general("2026-03-09"), Today: calendar.MustParseDate("2026-05-01"), Documents: true, Commitment: true, Evidence: 2})
	if r.Eligible || !r.OnlyEarly || r.From == nil || r.From.String() != "2026-06-10" || !slices.Equal(r.Failed, []string{CondShortest}) {
		t.Fatalf("%+v", r)
	}
	on := check(t, Facts{Record: general("2026-03-09"), Today: calendar.MustParseDate("2026-06-10"), Documents: true, Commitment: true, Evidence: 2})
	if !on.Eligible {
		t.Fatalf("on the date given: %+v", on)
	}
}

// Serious: one year; minor: at once.
func TestSeverityPeriods(t *testing.T) {
	rec := general("2025-11-01")
	rec.Severity = "serious"
	r := check(t, Facts{Record: rec, Today: calendar.MustParseDate("2026-05-01"), Documents: true, Commitment: true, Evidence: 1})
	if r.Eligible || r.From == nil || r.From.String() != "2026-11-02" {
		t.Fatalf("serious: %+v", r)
	}
	rec.Severity, rec.DecidedOn = "minor", calendar.MustParseDate("2026-04-30")
	r = check(t, Facts{Record: rec, Today: calendar.MustParseDate("2026-05-01"), Documents: true, Commitment: true, Evidence: 1})
	if !r.Eligible {
		t.Fatalf("minor: %+v", r)
	}
}

// Every failed condition is reported: a repeat of the same kind, no
// commitment, no evidence, not negative, past its disclosure period.
func TestEveryFailedConditionReported(t *testing.T) {
	rec := general("2025-06-01")
	r := check(t, Facts{Record: rec, Today: calendar.MustParseDate("2026-05-01"), Documents: true,
		Others: []Other{
			{ID: 2, ProviderID: 10, DecidedOn: calendar.MustParseDate("2026-02-01"), Title: "再次虚假宣传"},
			{ID: 3, ProviderID: 11, DecidedOn: calendar.MustParseDate("2026-02-01"), Title: "other provider"},
			{ID: 4, ProviderID: 10, DecidedOn: calendar.MustParseDate("2025-01-01"), Title: "before the record"},
		}})
	want := []string{CondNoRepeat, CondCommitment, CondCorrection}
	if r.Eligible || !slices.Equal(r.Failed, want) || r.OnlyEarly || len(r.Reasons()) != 3 {
		t.Fatalf("failed %v; want %v (%+v)", r.Failed, want, r)
	}
	end := calendar.MustParseDate("2026-04-01")
	rec.DisclosureEnd, rec.Category = &end, "positive"
	r = check(t, Facts{Record: rec, Today: calendar.MustParseDate("2026-05-01")})
	if !slices.Equal(r.Failed, []string{CondNegative, CondInUse}) {
		t.Fatalf("failed %v", r.Failed)
	}
	// The dry run: documents pending, not failed.
	if c := r.Conditions[len(r.Conditions)-1]; !c.Pending || c.Met {
		t.Fatalf("dry-run document condition %+v", c)
	}
}
