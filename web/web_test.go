package web

import (
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/workflows"
)

// Every key a template names is in the catalogue, in both languages, and
// no key is there twice.
func TestCatalogueCoversTemplates(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range registered {
		if seen[m.key] {
			t.Errorf("key %s is in the catalogue twice", m.key)
		}
		seen[m.key] = true
		if m.zh == "" || m.en == "" {
			t.Errorf("key %s lacks a language: zh %q en %q", m.key, m.zh, m.en)
		}
	}
	use := regexp.MustCompile(`\.T "([a-z0-9_.-]+)"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			if !seen[m[1]] {
				t.Errorf("%s names %s, which is not in the catalogue", f, m[1])
			}
		}
	}
	if _, err := parsePages(); err != nil {
		t.Fatal(err)
	}
}

// Templates hold no text of their own: no CJK characters and no English
// words outside tags and actions.
func TestTemplatesHoldNoText(t *testing.T) {
	actions := regexp.MustCompile(`(?s){{.*?}}|<[^>]*>`)
	han := regexp.MustCompile(`\p{Han}|[A-Za-z]{3,}`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := templateFS.ReadFile(f)
		rest := actions.ReplaceAllString(string(b), " ")
		if m := han.FindString(rest); m != "" {
			t.Errorf("%s holds text %q outside the catalogue", f, m)
		}
	}
}

func TestDates(t *testing.T) {
	d := calendar.NewDate(2026, 12, 14)
	if got := localizerZH.Date(d); got != "2026年12月14日" {
		t.Errorf("zh date %q", got)
	}
	if got := localizerEN.Date(d); got != "14 December 2026" {
		t.Errorf("en date %q", got)
	}
	// an instant late on 13 December UTC is 14 December in Shanghai
	if got := localizerZH.Date(time.Date(2026, 12, 13, 17, 30, 0, 0, time.UTC)); got != "2026年12月14日" {
		t.Errorf("instant date %q", got)
	}
	if got := localizerZH.DateTime(time.Date(2026, 12, 13, 17, 30, 0, 0, time.UTC)); got != "2026年12月14日 01:30" {
		t.Errorf("instant %q", got)
	}
}

func TestLanguageChoice(t *testing.T) {
	for _, c := range []struct{ cookie, accept, want string }{
		{"", "", "zh-CN"},
		{"", "en-GB,en;q=0.9", "en"},
		{"", "zh-TW,en;q=0.5", "zh-CN"},
		{"", "fr-FR", "zh-CN"},
		{"en", "zh-CN", "en"},
		{"zh", "en", "zh-CN"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		if c.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+c.cookie)
		}
		if got := localizerFor(r).Lang; got != c.want {
			t.Errorf("cookie %q Accept-Language %q: %s, want %s", c.cookie, c.accept, got, c.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/my/cases?x=1": "/my/cases?x=1", "": "/", "https://evil.example/": "/", "//evil.example/x": "/",
		"/\\evil.example": "/", "my": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every stage, "what happens next", deadline rule and step of the three
// procedures has its words in the catalogue (keys built at run time, which
// TestCatalogueCoversTemplates cannot see): a new stage or rule shows as
// words, never as its code.
func TestCatalogueCoversProcedures(t *testing.T) {
	want := func(key string) {
		t.Helper()
		if !known(key) {
			t.Errorf("no catalogue entry %s", key)
		}
	}
	for kind, stages := range map[string]map[string][]string{
		"": workflows.ObjectionStages, "repair.": workflows.RepairStages, "listing.": workflows.ListingStages,
	} {
		for _, ss := range stages {
			for _, st := range ss {
				want("stage." + st)
				want("next." + kind + st)
			}
		}
		want("next." + kind + workflows.StageFinished)
	}
	for _, id := range policy.Default().IDs() {
		prof, err := policy.Default().Get(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range prof.Rules {
			if !strings.HasPrefix(r.ID, "disclosure.") {
				want("rule." + r.ID)
			}
		}
		for _, g := range prof.ObjectionGrounds {
			want("ground." + g.Code)
		}
	}
	want("rule." + workflows.RuleHearing)
	for kind, ss := range steps {
		if _, ok := ss["withdraw"]; ok {
			want(kind + ".withdraw.warning")
		}
		for name, spec := range ss {
			if spec.Warning != "" {
				want(spec.Warning)
			}
			want("case.done." + kind + "." + name)
			want("step." + kind + "." + name + ".declare")
			if spec.Statement {
				want("step." + kind + "." + name + ".statement")
			}
			if spec.Reason {
				want("step." + kind + "." + name + ".reason")
			}
			if spec.Required != "" {
				want("step.required." + spec.Required)
			}
		}
	}
}

// The core's texts name dates in ISO form; the console writes them as the
// reader reads dates, and leaves case and decision numbers alone.
func TestPickWritesDates(t *testing.T) {
	zh := localizerZH.Pick("最短公示期（自决定之日2026-11-10起3个月）未满，自2027-02-11起可申请；案件 XF-2026-000123", "")
	if zh != "最短公示期（自决定之日2026年11月10日起3个月）未满，自2027年2月11日起可申请；案件 XF-2026-000123" {
		t.Errorf("zh: %s", zh)
	}
	en := localizerEN.Pick("", "from 2026-11-10至2027-02-11")
	if en != "from 10 November 2026至11 February 2027" {
		t.Errorf("en: %s", en)
	}
	if got := localizerZH.Pick("2026-13-45 不是日期", ""); got != "2026-13-45 不是日期" {
		t.Errorf("not a date: %s", got)
	}
}

// The working days left beside a due date are counted on the calendar the
// core holds (an imported year, a correction), not on the built-in one: a
// day off added to 2026 by the centre's calendar is not counted.
func TestDaysLeftCountOnTheCoresCalendar(t *testing.T) {
	raw, err := os.ReadFile("../internal/calendar/data/cn/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	var year map[string]any
	if err := json.Unmarshal(raw, &year); err != nil {
		t.Fatal(err)
	}
	// Wednesday 2 December 2026 becomes a day off.
	year["days"] = append(year["days"].([]any), map[string]any{"date": "2026-12-02", "kind": "off", "name": "测试放假"})
	year["working_days"] = year["working_days"].(float64) - 1
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cn"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(year)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cn", "2026.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, calendar.Shanghai)
	d := casework.Deadline{Rule: "objection.acceptance", Party: "centre", DueDate: "2026-12-08",
		DueAt: time.Date(2026, 12, 8, 23, 59, 59, 0, calendar.Shanghai), State: "pending"}
	builtIn, err := calendar.Default().WorkingDaysBetween(calendar.DateOf(now), calendar.NewDate(2026, 12, 8), calendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &Console{Deps: Deps{App: application.New(application.Deps{Calendar: cal}), Now: func() time.Time { return now }}}
	v := c.deadline(d, policy.DefaultProfileID)
	if !v.HasDays || v.DaysLeft != builtIn-1 {
		t.Fatalf("days left %d (shown %v), want %d: the built-in calendar gives %d", v.DaysLeft, v.HasDays, builtIn-1, builtIn)
	}
}

// What the console shows of every stage, "what happens next" and deadline
// rule, under every profile, names only the remedies that profile's
// regulation has: the appeal (申诉) where it grants one (Nantong art. 33),
// the hand-over to the provider (移交) where it provides that (Anshan
// art. 10: 申请人仍有异议的，由公共信用信息工作机构移交信息提供主体处理), neither
// elsewhere — in both languages, on the subject's and the staff's pages.
func TestStageAndRuleWordsFollowTheProfile(t *testing.T) {
	stages := map[string]bool{workflows.StageFinished: true}
	for _, ss := range []map[string][]string{workflows.ObjectionStages, workflows.RepairStages, workflows.ListingStages} {
		for _, s := range ss {
			for _, st := range s {
				stages[st] = true
			}
		}
	}
	appealWords := func(s string) bool {
		return strings.Contains(s, "申诉") || strings.Contains(strings.ToLower(s), "appeal")
	}
	for _, prof := range policy.Default().Profiles() {
		route := prof.ResultRoute()
		p := &page{L: localizerZH, routeOf: func(id string) string {
			x, err := policy.Default().Get(id)
			if err != nil {
				t.Fatal(err)
			}
			return x.ResultRoute()
		}}
		for _, l := range []*Localizer{localizerZH, localizerEN} {
			p.L = l
			shown := map[string]string{}
			for st := range stages {
				if st == workflows.StageAppeal && route != policy.ResultAppeal {
					continue // only an appeal opens it
				}
				shown["stage "+st] = l.EnumUnder("stage", st, route)
				shown["staff stage "+st] = stageName(p, st, prof.ID)
				shown["next "+st] = l.EnumUnder("next", st, route)
				shown["staffnext "+st] = l.EnumUnder("staffnext", st, route)
			}
			for _, r := range prof.Rules {
				if k := "rule." + r.ID; known(k) {
					shown["rule "+r.ID] = l.T(KeyUnder(k, route))
				}
			}
			shown["decide hint"] = l.T(KeyUnder("step.decide.hint", route))
			for what, s := range shown {
				if appealWords(s) && route != policy.ResultAppeal {
					t.Errorf("%s (%s, %s) %s: %q names an appeal its regulation does not grant", prof.ID, route, l.Lang, what, s)
				}
			}
			want := func(what, sub string) {
				t.Helper()
				if !strings.Contains(shown[what], sub) {
					t.Errorf("%s (%s, %s) %s: %q; want %q", prof.ID, route, l.Lang, what, shown[what], sub)
				}
			}
			switch {
			case route == policy.ResultAppeal && l == localizerZH:
				want("stage closed", "申诉")
				want("rule objection.appeal_window", "申诉")
			case route == policy.ResultHandover && l == localizerZH:
				want("stage closed", "仍有异议")
				want("staff stage closed", "仍有异议")
				want("rule objection.appeal_window", "仍有异议")
				want("next closed", "移交信息提供单位")
				want("staffnext closed", "移交信息提供单位")
				want("decide hint", "移交信息提供单位")
			case route == policy.ResultHandover:
				want("stage closed", "still disagree")
				want("rule objection.appeal_window", "still disagree")
				want("next closed", "hands the case to the provider")
			case route == policy.ResultFinal && l == localizerZH:
				want("next closed", "行政复议")
			}
		}
	}
	// The shipped profiles have each route.
	routes := map[string]bool{}
	for _, prof := range policy.Default().Profiles() {
		routes[prof.ResultRoute()] = true
	}
	if !routes[policy.ResultAppeal] || !routes[policy.ResultHandover] || !routes[policy.ResultFinal] {
		t.Errorf("routes of the shipped profiles: %v", routes)
	}
}

// A page whose template fails half way is not sent cut off with 200: the
// caller gets the error (and answers the 500 page); nothing is written.
func TestRenderSendsNoHalfPage(t *testing.T) {
	c := &Console{pages: map[string]*template.Template{
		"broken": template.Must(template.New("layout").Parse(`<form><p>start</p>{{.D.Missing}}<button>go</button></form>`)),
	}}
	rec := httptest.NewRecorder()
	ctx := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/x", nil), rec)
	err := c.render(ctx, &page{L: localizerZH, Title: "x"}, http.StatusOK, "broken", struct{ Present string }{})
	if err == nil {
		t.Fatal("a failing template rendered without an error")
	}
	if rec.Body.Len() != 0 || ctx.Response().Committed {
		t.Fatalf("a failing template sent %d bytes (committed %v): %q", rec.Body.Len(), ctx.Response().Committed, rec.Body.String())
	}
}
