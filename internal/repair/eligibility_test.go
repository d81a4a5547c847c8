package repair

import (
	"slices"
	"strings"
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

// Same kind is the same dishonesty category, whoever supplied it: two
// records of different categories from one provider do not bar each other;
// the same category from another provider does, until a year after it.
func TestSameKindByCategory(t *testing.T) {
	rec := general("2025-06-01")
	rec.Dishonesty = "虚假宣传"
	today := calendar.MustParseDate("2026-05-01")
	others := []Other{
		{ID: 2, ProviderID: 10, Dishonesty: "拖欠工资", DecidedOn: calendar.MustParseDate("2026-02-01"), Title: "拖欠工资"},
	}
	r := check(t, Facts{Record: rec, Today: today, Documents: true, Commitment: true, Evidence: 1, Others: others})
	if !r.Eligible {
		t.Fatalf("another category of the same provider barred the repair: %+v", r)
	}
	c := r.Conditions[3]
	if c.Code != CondNoRepeat || !c.Met || c.Presumed || c.ZH != "近一年内无同类（虚假宣传）失信行为" {
		t.Fatalf("condition %+v", c)
	}
	others = append(others, Other{ID: 3, ProviderID: 99, Dishonesty: "虚假宣传", DecidedOn: calendar.MustParseDate("2026-01-10"), Title: "网店虚假宣传"})
	r = check(t, Facts{Record: rec, Today: today, Documents: true, Commitment: true, Evidence: 1, Others: others})
	c = r.Conditions[3]
	if r.Eligible || c.Met || c.From == nil || c.From.String() != "2027-01-11" || r.From == nil || *r.From != *c.From {
		t.Fatalf("same category from another provider: %+v / %+v", c, r)
	}
}

// A record without a category falls back to "same provider", and says so.
func TestSameKindPresumedWithoutCategory(t *testing.T) {
	rec := general("2025-06-01")
	r := check(t, Facts{Record: rec, Today: calendar.MustParseDate("2026-05-01"), Documents: true, Commitment: true, Evidence: 1,
		Others: []Other{{ID: 2, ProviderID: 10, Dishonesty: "拖欠工资", DecidedOn: calendar.MustParseDate("2026-02-01"), Title: "拖欠工资"}}})
	c := r.Conditions[3]
	if r.Eligible || c.Met || !c.Presumed || !strings.Contains(c.ZH, "按同一信息提供单位认定同类") || c.From.String() != "2027-02-02" {
		t.Fatalf("uncategorised record: %+v", c)
	}
	ok := check(t, Facts{Record: rec, Today: calendar.MustParseDate("2026-05-01"), Documents: true, Commitment: true, Evidence: 1})
	if c := ok.Conditions[3]; !c.Met || !c.Presumed || !strings.Contains(c.ZH, "未登记失信行为类别") {
		t.Fatalf("met, presumed: %+v", c)
	}
}

// Two unmet conditions each carry their own date; the application may be
// made from the later one.
func TestEachUnmetConditionHasItsDate(t *testing.T) {
	rec := general("2026-03-09")
	rec.Dishonesty = "虚假宣传"
	r := check(t, Facts{Record: rec, Today: calendar.MustParseDate("2026-05-01"), Documents: true, Commitment: true, Evidence: 1,
		Others: []Other{{ID: 2, ProviderID: 12, Dishonesty: "虚假宣传", DecidedOn: calendar.MustParseDate("2026-04-20"), Title: "再次虚假宣传"}}})
	if !slices.Equal(r.Failed, []string{CondShortest, CondNoRepeat}) || r.OnlyEarly {
		t.Fatalf("failed %v", r.Failed)
	}
	if d := r.Conditions[2].From; d == nil || d.String() != "2026-06-10" {
		t.Errorf("shortest period date %v", d)
	}
	if d := r.Conditions[3].From; d == nil || d.String() != "2027-04-21" {
		t.Errorf("same kind date %v", d)
	}
	if r.From == nil || r.From.String() != "2027-04-21" {
		t.Errorf("apply from %v, want the later date", r.From)
	}
	// A condition that time does not cure leaves no overall date.
	r = check(t, Facts{Record: rec, Today: calendar.MustParseDate("2026-05-01"), Documents: true, Commitment: false, Evidence: 1})
	if r.From != nil || r.Conditions[2].From == nil {
		t.Errorf("no commitment: overall %v, shortest %v", r.From, r.Conditions[2].From)
	}
}

// "Same kind" runs from the day the behaviour was corrected (Nantong art.
// 34(二): 自纠正之日起1年内未再发生同类失信行为) when the applicant states
// it: a same-kind record decided before the correction, or more than a
// year after it, does not bar the repair; one within the year does, and
// says so. Without the day, the last year counts (and a correction day
// before the decision or in the future is not taken).
func TestSameKindSinceTheCorrection(t *testing.T) {
	rec := general("2025-03-01")
	rec.Dishonesty = "拖欠工资"
	today := calendar.MustParseDate("2026-05-01")
	others := []Other{{ID: 2, ProviderID: 10, Dishonesty: "拖欠工资", DecidedOn: calendar.MustParseDate("2025-09-01"), Title: "再次拖欠工资"}}
	on := func(day string) *calendar.Date {
		if day == "" {
			return nil
		}
		d := calendar.MustParseDate(day)
		return &d
	}
	for _, c := range []struct {
		corrected string
		met       bool
		text      string
	}{
		{"", false, "近一年内（2025-05-01以来）存在同类失信行为"},
		{"2025-10-01", true, "自纠正之日（2025-10-01）起一年内无同类（拖欠工资）失信行为"},
		{"2025-08-01", false, "自纠正之日（2025-08-01）起一年内再次发生同类失信行为：再次拖欠工资（拖欠工资，2025-09-01）"},
		{"2024-08-01", false, "近一年内（2025-05-01以来）"}, // before the decision: not taken
		{"2026-06-01", false, "近一年内（2025-05-01以来）"}, // in the future: not taken
	} {
		r := check(t, Facts{Record: rec, Today: today, Documents: true, Commitment: true, Evidence: 1, Others: others, CorrectedOn: on(c.corrected)})
		cond := r.Conditions[3]
		if cond.Met != c.met || !strings.Contains(cond.ZH, c.text) || r.Eligible != c.met {
			t.Errorf("corrected on %q: met %v (%s); want met %v, %q", c.corrected, cond.Met, cond.ZH, c.met, c.text)
		}
		if !c.met && (cond.From == nil || cond.From.String() != "2026-09-02") {
			t.Errorf("corrected on %q: met from %v; want 2026-09-02", c.corrected, cond.From)
		}
	}
	// More than a year after the correction, a same-kind record is outside
	// the regulation's year.
	late := []Other{{ID: 3, ProviderID: 10, Dishonesty: "拖欠工资", DecidedOn: calendar.MustParseDate("2026-04-20"), Title: "拖欠工资"}}
	r := check(t, Facts{Record: rec, Today: today, Documents: true, Commitment: true, Evidence: 1, Others: late, CorrectedOn: on("2025-03-10")})
	if !r.Conditions[3].Met {
		t.Errorf("a record 13 months after the correction barred the repair: %+v", r.Conditions[3])
	}
	r = check(t, Facts{Record: rec, Today: today, Documents: true, Commitment: true, Evidence: 1, Others: late})
	if r.Conditions[3].Met {
		t.Errorf("without a correction day, a record of last month did not count: %+v", r.Conditions[3])
	}
}
