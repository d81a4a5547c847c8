package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// allCitations returns every citation a profile may print, with where it is.
func allCitations(p *Profile) map[string][]Citation {
	out := map[string][]Citation{}
	for _, r := range p.Rules {
		out["rule "+r.ID] = r.Cite
	}
	for _, r := range p.Periods {
		out["period "+r.ID] = r.Cite
	}
	for k, l := range p.Letters {
		out["letter "+k] = l.Basis
	}
	if a := p.Remedies.Appeal; a != nil {
		out["remedies.appeal"] = a.Cite
	}
	if a := p.Remedies.Transfer; a != nil {
		out["remedies.transfer"] = a.Cite
	}
	return out
}

// Every passage a profile quotes is in the regulation's text (the local
// copies of shared/regulations, or the national texts kept beside the
// profiles), in the article cited; a shipped profile cites only its own
// city's regulation and national instruments.
func TestEveryQuotedPassageIsInItsInstrument(t *testing.T) {
	quotes := 0
	for _, id := range Default().IDs() {
		p, _ := Default().Get(id)
		for where, cs := range allCitations(p) {
			for _, c := range cs {
				if err := checkCitation(p, c); err != nil {
					t.Errorf("%s %s: %v", id, where, err)
				}
				in, ok := LookupInstrument(c.Instrument)
				if ok && in.Scope == ScopeLocal && !slices.Contains(in.Profiles, id) {
					t.Errorf("%s %s cites %s, another city's regulation", id, where, c.Instrument)
				}
				if c.Quote != "" {
					quotes++
				}
			}
		}
		for _, r := range p.Regulations {
			if in, _ := LookupInstrument(r); !slices.Contains(in.Profiles, id) {
				t.Errorf("%s lists %s among its regulations", id, r)
			}
		}
	}
	if quotes < 40 {
		t.Errorf("only %d quoted passages checked", quotes)
	}
}

// The local texts are the regulations of shared/regulations, unchanged
// (checked when that directory is next to the repository; a clean clone
// has only the copies).
func TestLocalTextsAreTheSharedRegulations(t *testing.T) {
	dir := ""
	for d, _ := os.Getwd(); d != filepath.Dir(d); d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "shared", "regulations")); err == nil && st.IsDir() {
			dir = filepath.Join(d, "shared", "regulations")
			break
		}
	}
	if dir == "" {
		t.Skip("no shared/regulations above the repository: the copies are checked by the quotes test only")
	}
	for _, in := range Instruments() {
		if in.Scope != ScopeLocal {
			continue
		}
		mine, err := instrumentFiles.ReadFile("instruments/" + in.Text)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := os.ReadFile(filepath.Join(dir, filepath.Base(in.Text)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mine, theirs) {
			t.Errorf("%s differs from %s", in.Text, filepath.Join(dir, filepath.Base(in.Text)))
		}
	}
}

func TestNationalTextsSayWhereTheyComeFrom(t *testing.T) {
	national := 0
	for _, in := range Instruments() {
		if in.Scope != ScopeNational {
			continue
		}
		national++
		if !in.Excerpt || in.Version == "" || !strings.Contains(in.Source, "http") {
			t.Errorf("%s: an excerpt of a national text needs its version and source: %+v", in.Title, in)
		}
	}
	if national < 4 {
		t.Errorf("%d national instruments", national)
	}
}

func TestCitationCheckRefuses(t *testing.T) {
	nt, _ := Default().Get("nantong")
	n := "南通市公共信用信息管理办法"
	for _, tt := range []struct {
		name string
		c    Citation
		want string
	}{
		{"words not in the article", Citation{Instrument: n, Article: "第三十二条", Quote: "收到异议申请后应在15个工作日内完成审核工作"}, "is not in"},
		{"words of another article", Citation{Instrument: n, Article: "第三十三条", Quote: "收到异议申请后应在10个工作日内完成审核工作"}, "is not in"},
		{"another city's regulation", Citation{Instrument: "鞍山市关于加强信息主体权益保护工作的实施办法（试行）", Article: "第十条"}, "not this profile's regulation"},
		{"a design note", Citation{Instrument: n, Article: "第三十二条", Quote: "national default: DESIGN.md"}, "write it in Chinese"},
		{"unknown instrument", Citation{Instrument: "南通市信用条例", Article: "第一条"}, "not in instruments"},
		{"article not kept", Citation{Instrument: "中华人民共和国行政处罚法", Article: "第六十三条"}, "kept text"},
		{"article missing", Citation{Instrument: n, Article: "第九十条"}, "has no 第九十条"},
		{"article in digits", Citation{Instrument: n, Article: "第32条"}, "Chinese numerals"},
		{"paragraph form", Citation{Instrument: n, Article: "第三十二条", Paragraph: "一款"}, "第N款"},
		{"subject kind", Citation{Instrument: n, Article: "第三十二条", For: "company"}, "want organisation or person"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkCitation(nt, tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%+v: %v, want %q", tt.c, err, tt.want)
			}
		})
	}
	// Typesetting does not matter: spaces and half-width commas in the text.
	ok := Citation{Instrument: n, Article: "第三十二条", Paragraph: "第二款", Quote: "异议信息需提交信息提供单位核实的，信息提供单位应在5个工作日内完成核实工作"}
	if err := checkCitation(nt, ok); err != nil {
		t.Error(err)
	}
	// An article that runs over a line break in the text.
	an, _ := Default().Get("anshan")
	if err := checkCitation(an, Citation{Instrument: "鞍山市关于加强信息主体权益保护工作的实施办法（试行）", Article: "第十条", Quote: "因公共信用信息工作机构原因造成错误的，应当立即更正"}); err != nil {
		t.Error(err)
	}
	if got := ok.String(); got != "《南通市公共信用信息管理办法》第三十二条第二款" {
		t.Errorf("String() = %s", got)
	}
	if got := (Citation{Instrument: "信用修复管理办法", Article: "第二条"}).String(); got != "《信用修复管理办法》（国家发展改革委令第36号）第二条" {
		t.Errorf("String() = %s", got)
	}
}

func TestChineseArticleNumbers(t *testing.T) {
	for n, want := range map[int]string{1: "一", 10: "十", 12: "十二", 20: "二十", 33: "三十三", 100: "一百", 101: "一百零一", 110: "一百一十", 246: "二百四十六"} {
		if got := chineseNumber(n); got != want {
			t.Errorf("%d = %s, want %s", n, got, want)
		}
		if m, ok := parseArticle("第" + want + "条"); !ok || m != n {
			t.Errorf("parse %s = %d %v", want, m, ok)
		}
	}
}

// loadEdited loads profile id after edit and returns the error.
func loadEdited(t *testing.T, id string, edit func(string) string) error {
	t.Helper()
	orig := readShipped(t, id)
	text := edit(orig)
	if text == orig {
		t.Fatal("edit did not apply")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, id+".yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	return err
}

// The stop-public-query setting and the verification rule's lapse action
// cannot say different things (policy check refuses the profile).
func TestLapseSettingAndActionAgree(t *testing.T) {
	for _, tt := range []struct {
		name, id string
		edit     func(string) string
		want     string
	}{
		{"action without the setting", "nantong", func(s string) string {
			return strings.Replace(s, "starts_on: provider.request_served\n  on_lapse:\n  - remind\n  - escalate\n", "starts_on: provider.request_served\n  on_lapse:\n  - remind\n  - escalate\n  - suspend_public_query\n", 1)
		}, "provider_lapse_stops_public_query is false"},
		{"setting without the action", "qinzhou", func(s string) string {
			return strings.Replace(s, "  - escalate\n  - suspend_public_query\n", "  - escalate\n", 1)
		}, "has no suspend_public_query"},
		{"action on another rule", "nantong", func(s string) string {
			return strings.Replace(s, "starts_on: objection.received\n  on_lapse:\n  - escalate\n", "starts_on: objection.received\n  on_lapse:\n  - escalate\n  - suspend_public_query\n", 1)
		}, "applies to the provider's verification"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := loadEdited(t, tt.id, tt.edit); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v, want %q", err, tt.want)
			}
		})
	}
}

// starts_on names an event the procedure actually starts the rule on; the
// objection limit may run from receipt (Nantong art. 32) or acceptance
// (Nanning art. 20).
func TestStartsOnIsAnEventOfTheProcedure(t *testing.T) {
	nt, _ := Default().Get("nantong")
	nn, _ := Default().Get("nanning")
	if r, _ := nt.Rule(ObjectionOverall); r.StartsOn != "objection.received" {
		t.Errorf("nantong objection.overall starts on %s", r.StartsOn)
	}
	if r, _ := nn.Rule(ObjectionOverall); r.StartsOn != "objection.accepted" {
		t.Errorf("nanning objection.overall starts on %s", r.StartsOn)
	}
	err := loadEdited(t, "nantong", func(s string) string {
		return strings.Replace(s, "starts_on: provider.request_served", "starts_on: provider.replied", 1)
	})
	if err == nil || !strings.Contains(err.Error(), "cannot start it on provider.replied") {
		t.Errorf("%v", err)
	}
}

// An appeal (申诉) exists only where the regulation grants it.
func TestAppealOnlyWhereGranted(t *testing.T) {
	for id, want := range map[string]bool{"nantong": true, "anshan": false, "nanning": false, "qinzhou": false, "shenzhen": false} {
		p, _ := Default().Get(id)
		if p.HasAppeal() != want {
			t.Errorf("%s appeal = %v", id, !want)
		}
	}
	err := loadEdited(t, "anshan", func(s string) string {
		return strings.Replace(s, "remedies: [transfer, review, litigation]", "remedies: [appeal, review, litigation]", 1)
	})
	if err == nil || !strings.Contains(err.Error(), "remedies.appeal is not granted") {
		t.Errorf("appeal offered without grant: %v", err)
	}
	err = loadEdited(t, "nantong", func(s string) string {
		i := strings.Index(s, "  appeal:\n")
		j := strings.Index(s, "  review:\n")
		return s[:i] + s[j:]
	})
	if err == nil || !strings.Contains(err.Error(), "grants no appeal") {
		t.Errorf("appeal window without grant: %v", err)
	}
}

func TestCentreIdentityRequired(t *testing.T) {
	err := loadEdited(t, "nantong", func(s string) string {
		return strings.Replace(s, "  telephone: 0513-85012345\n", "", 1)
	})
	if err == nil || !strings.Contains(err.Error(), "centre.telephone is required") {
		t.Errorf("%v", err)
	}
	for _, id := range Default().IDs() {
		p, _ := Default().Get(id)
		if p.Centre.Name == "" || p.Centre.Seal == "" || p.Centre.NumberPrefix == "" {
			t.Errorf("%s centre %+v", id, p.Centre)
		}
	}
}

// The hand-over to the provider (Anshan art. 10) is offered in letters
// exactly when the profile's disagreement_handover setting grants it.
func TestHandoverSettingAndRemedyAgree(t *testing.T) {
	err := loadEdited(t, "anshan", func(s string) string {
		i := strings.Index(s, "  transfer:\n")
		j := strings.Index(s, "  review:\n")
		s = s[:i] + s[j:]
		// The window serves the hand-over only: it goes with it.
		i = strings.Index(s, "- id: objection.appeal_window\n")
		j = strings.Index(s, "- id: objection.review_window\n")
		return s[:i] + s[j:]
	})
	if err == nil || !strings.Contains(err.Error(), "disagreement_handover (true) and remedies.transfer disagree") {
		t.Errorf("%v", err)
	}
}

// A case keeps the profile version it opened with, stored as written: the
// first schema's documents (before profiles named the centre and what
// letters cite) still load for their deadlines, while a profile a process
// loads must name its centre.
func TestFirstSchemaVersionsStillLoadButAreNotLoadedForNewCases(t *testing.T) {
	for _, id := range []string{"anshan", "nanning", "nantong", "qinzhou", "shenzhen"} {
		b, err := os.ReadFile(filepath.Join("testdata", "v2026.1", id+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseProfile(id, "db:"+id+"@2026.1", b)
		if err != nil {
			t.Fatalf("%s 2026.1 no longer loads: %v", id, err)
		}
		if !p.FirstSchema() || !strings.HasPrefix(p.Version, "2026.1+") {
			t.Errorf("%s: first schema %v, version %s", id, p.FirstSchema(), p.Version)
		}
		r, err := p.Rule(ObjectionReviewWindow)
		if err != nil || r.StartsOn != "decision.known" {
			t.Errorf("%s: review window %+v %v, want it started on decision.known", id, r, err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, id+".yaml"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "centre's name is required") {
			t.Errorf("%s: POLICY_DIR with a first-schema profile: %v, want it refused", id, err)
		}
	}
}
