package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creditcase/creditcase/internal/calendar"
)

func TestShippedProfilesLoad(t *testing.T) {
	s := Default()
	want := []string{"anshan", "nanning", "nantong", "qinzhou", "shenzhen"}
	if got := strings.Join(s.IDs(), ","); got != strings.Join(want, ",") {
		t.Fatalf("profiles = %s", got)
	}
	regions := map[string]bool{"": true}
	for _, r := range calendar.Default().Regions() {
		regions[r] = true
	}
	for _, id := range want {
		p, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if !regions[p.Region] {
			t.Errorf("%s: region %q has no calendar overlay", id, p.Region)
		}
		if !strings.HasPrefix(p.Version, p.DeclaredVersion+"+") || len(p.Version) < 14 {
			t.Errorf("%s: version %q", id, p.Version)
		}
		for _, rid := range RuleIDs() {
			if rid == ObjectionAppealWindow && !p.HasResultWindow() {
				if _, err := p.Rule(rid); err == nil {
					t.Errorf("%s grants no appeal nor hand-over but has %s", id, rid)
				}
				continue
			}
			r, err := p.Rule(rid)
			if err != nil || r.Length <= 0 || r.Source == "" {
				t.Errorf("%s: rule %s = %+v, %v", id, rid, r, err)
			}
			// Every rule computes on the profile's calendar.
			if _, err := p.Deadline(calendar.Default(), rid, calendar.MustParseDate("2025-09-30"), false); err != nil {
				t.Errorf("%s: %s: %v", id, rid, err)
			}
		}
		for _, pid := range PeriodIDs() {
			if _, err := p.Period(pid); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}
	}
	if p, err := s.Get(""); err != nil || p.ID != DefaultProfileID {
		t.Errorf("default profile: %v, %v", p, err)
	}
	if _, err := s.Get("beijing"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("unknown profile: %v", err)
	}
}

// TestProfilesFaithful pins the values that come from the regulations.
func TestProfilesFaithful(t *testing.T) {
	s := Default()
	get := func(id string) *Profile {
		p, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	type want struct {
		profile, rule string
		length        int
		fallback      bool
		article       string
	}
	for _, w := range []want{
		{"nantong", ObjectionProviderReply, 5, false, "第三十二条"},
		{"nantong", ObjectionOverall, 10, false, "第三十二条"},
		{"nantong", ObjectionCorrectionPublish, 3, false, "第三十二条"},
		{"nantong", RepairPublicity, 5, false, "第三十五条"},
		{"nantong", ObjectionCentreCheck, 3, true, "鞍山 第十条"},
		{"anshan", ObjectionCentreCheck, 3, false, "第十条"},
		{"anshan", ObjectionOwnErrorNotify, 2, false, "第十条"},
		{"anshan", ObjectionProviderReply, 5, false, "第十条"},
		{"anshan", ObjectionApplicantNotify, 2, false, "第十条"},
		{"anshan", ObjectionOverall, 10, true, ""},
		{"nanning", ObjectionOverall, 10, false, "第二十条"},
		{"qinzhou", ObjectionOverall, 10, false, "第二十二条"},
		{"shenzhen", ObjectionCentreCheck, 5, true, "第三十五条"},
		{"shenzhen", ObjectionExtension, 3, true, "head-approved extension"},
	} {
		r, err := get(w.profile).Rule(w.rule)
		if err != nil {
			t.Fatal(err)
		}
		if r.Length != w.length || r.Fallback != w.fallback || !strings.Contains(r.Source, w.article) {
			t.Errorf("%s %s = %d fallback=%v %q; want %d fallback=%v citing %q", w.profile, w.rule, r.Length, r.Fallback, r.Source, w.length, w.fallback, w.article)
		}
	}
	if v := get("nantong").Settings.LabelledRecord.Value; v != KeepPublic {
		t.Errorf("nantong labelled record: %s", v)
	}
	if v := get("qinzhou").Settings.LabelledRecord.Value; v != Discretionary {
		t.Errorf("qinzhou labelled record: %s", v)
	}
	if v := get("shenzhen").Settings.LabelledRecord.Value; v != Suspend {
		t.Errorf("shenzhen labelled record: %s", v)
	}
	if !get("qinzhou").Settings.ProviderLapseStopsPublicQuery.Value || get("nantong").Settings.ProviderLapseStopsPublicQuery.Value {
		t.Error("provider lapse: only qinzhou stops public query")
	}
	if !get("anshan").Settings.UnverifiableDeleted.Value {
		t.Error("anshan art. 11 deletes unverifiable records")
	}
	for _, id := range []string{"nanning", "qinzhou"} {
		if get(id).Region != "guangxi" {
			t.Errorf("%s must use the guangxi calendar", id)
		}
	}
	for _, id := range s.IDs() {
		if m := get(id).Settings.WarningMarginWD.Value; m != 1 {
			t.Errorf("%s warning margin %d", id, m)
		}
	}
	if p, _ := get("nantong").Period(DisclosureSerious); p.Length != 3 || p.Unit != calendar.Years || p.Fallback {
		t.Errorf("nantong serious disclosure %+v", p)
	}
	if p, _ := get("nantong").Period(RepairMinPeriodMinor); p.Length != 0 {
		t.Errorf("minor repair period %+v", p)
	}
}

func TestDeadlineAndReminder(t *testing.T) {
	cal := calendar.Default()
	n, _ := Default().Get("nanning")
	// Nanning uses the Guangxi overlay: 2025-03-28 + 5 WD skips 03-31, 04-01
	// (壮族三月三) and 04-04 (清明).
	d, err := n.Deadline(cal, ObjectionProviderReply, calendar.MustParseDate("2025-03-28"), false)
	if err != nil || d.Due.String() != "2025-04-09" || d.Region != "guangxi" {
		t.Fatalf("nanning provider reply: %+v, %v", d, err)
	}
	day, ok, err := n.Reminder(cal, ObjectionProviderReply, d.Due, false)
	if err != nil || !ok || day.String() != "2025-04-08" {
		t.Errorf("reminder = %s %v %v", day, ok, err)
	}
	nt, _ := Default().Get("nantong")
	d, err = nt.Deadline(cal, ObjectionProviderReply, calendar.MustParseDate("2025-03-28"), false)
	if err != nil || d.Due.String() != "2025-04-07" {
		t.Errorf("nantong provider reply: %s, %v", d.Due, err)
	}
	if _, ok, _ := nt.Reminder(cal, RepairPublicity, d.Due, false); ok {
		t.Error("repair.publicity has no reminder")
	}
}

func readShipped(t *testing.T, id string) string {
	b, err := os.ReadFile(filepath.Join("profiles", id+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf returns the 1-based line of the first occurrence of s in text.
func lineOf(t *testing.T, text, s string) int {
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q not in profile", s)
	}
	return strings.Count(text[:i], "\n") + 1
}

func TestLoadRefusesInvalidProfiles(t *testing.T) {
	orig := readShipped(t, "nantong")
	tests := []struct {
		name   string
		edit   func(string) string
		wantAt string // text whose line the error must name
		want   string
	}{
		{"unknown key", func(s string) string {
			return strings.Replace(s, "  starts_on: provider.request_served", "  starts_on: provider.request_served\n  start_on: typo", 1)
		}, "start_on: typo", "field start_on not found"},
		{"unknown top-level key", func(s string) string { return strings.Replace(s, "region: ''", "region: ''\ncity: nantong", 1) }, "city: nantong", "field city not found"},
		{"zero length", func(s string) string {
			return strings.Replace(s, "- id: objection.overall\n  length: 10", "- id: objection.overall\n  length: 0", 1)
		}, "length: 0", "length must be positive, not 0"},
		{"negative length", func(s string) string {
			return strings.Replace(s, "- id: repair.publicity\n  length: 5", "- id: repair.publicity\n  length: -5", 1)
		}, "length: -5", "length must be positive, not -5"},
		{"missing rule", func(s string) string {
			i := strings.Index(s, "- id: repair.overall")
			j := strings.Index(s, "periods:")
			return s[:i] + s[j:]
		}, "rules:", "missing rules: repair.overall"},
		{"unknown rule", func(s string) string { return strings.Replace(s, "id: repair.overall", "id: repair.total", 1) }, "id: repair.total", `unknown rule "repair.total"`},
		{"duplicate rule", func(s string) string {
			return strings.Replace(s, "id: repair.overall", "id: repair.publicity", 1)
		}, "id: repair.publicity\n  length: 10", "defined twice"},
		{"bad unit", func(s string) string {
			return strings.Replace(s, "- id: listing.representation\n  length: 5\n  unit: wd", "- id: listing.representation\n  length: 5\n  unit: week", 1)
		}, "unit: week", `unit "week" not allowed`},
		{"bad event", func(s string) string {
			return strings.Replace(s, "starts_on: listing.notice_served", "starts_on: listing.notified", 1)
		}, "starts_on: listing.notified", `unknown event "listing.notified"`},
		{"bad lapse action", func(s string) string { return strings.Replace(s, "  - proceed", "  - ignore", 1) }, "- ignore", `unknown lapse action "ignore"`},
		{"zero period", func(s string) string {
			return strings.Replace(s, "- id: disclosure.general\n  length: 1", "- id: disclosure.general\n  length: 0", 1)
		}, "length: 0", "period disclosure.general: length must be positive"},
		{"bad label policy", func(s string) string { return strings.Replace(s, "value: keep_public", "value: hide", 1) }, "value: hide", "labelled_record must be"},
		{"wrong type", func(s string) string { return strings.Replace(s, "remind_before: 2", "remind_before: two", 1) }, "remind_before: two", "cannot unmarshal"},
		{"remind after due", func(s string) string { return strings.Replace(s, "remind_before: 2", "remind_before: 10", 1) }, "remind_before: 10", "remind_before 10 must be"},
		{"missing source", func(s string) string {
			return strings.Replace(s, "  source: '第三十五条第一款: 在部门网站进行公示，公示期为5个工作日'", "  source: ''", 1)
		}, "source: ''", "source (article) is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.edit(orig)
			if text == orig {
				t.Fatal("edit did not apply")
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "nantong.yaml")
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("accepted")
			}
			wantLine := "line " + itoa(lineOf(t, text, tt.wantAt)) + ":"
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), wantLine) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nshould name %s, %q and say %q", err, p, wantLine, tt.want)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestLoadOverrideAddsProfile(t *testing.T) {
	dir := t.TempDir()
	text := strings.Replace(readShipped(t, "nantong"), "id: nantong", "id: rugao", 1)
	text = strings.Replace(text, "length: 5\n  unit: wd\n  starts_on: provider.request_served", "length: 4\n  unit: wd\n  starts_on: provider.request_served", 1)
	if err := os.WriteFile(filepath.Join(dir, "rugao.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Get("rugao")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Rule(ObjectionProviderReply); r.Length != 4 || !strings.HasSuffix(p.Source, "rugao.yaml") {
		t.Errorf("override: %+v from %s", r, p.Source)
	}
	if len(s.IDs()) != 6 {
		t.Errorf("ids = %v", s.IDs())
	}
	if _, err := Default().Get("rugao"); err == nil {
		t.Error("default set changed")
	}
	// A file whose id differs from its name is refused.
	if err := os.WriteFile(filepath.Join(dir, "other.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "does not match the file name") {
		t.Errorf("id mismatch: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory accepted")
	}
}
