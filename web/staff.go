package web

// The staff pages (issue 15): the caseworker's desk, the provider's inbox,
// the supervisor's board and the administration. Like the subject's pages
// they call the application core with the reader as the actor: the same
// permission table, the same refusals as the JSON API.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/workflows"
)

func (c *Console) routesStaff(get, post func(string, handler)) {
	get("/desk", c.worklist)
	get("/inbox", c.inbox)
	get("/appeals", c.appeals)
	c.routesStaffCases(get, post)
	c.routesSupervision(get, post)
	c.routesRecords(get, post)
	c.routesAdmin(get, post)
}

// staffHome is the page a staff account starts on.
func staffHome(r auth.Role) string {
	switch r {
	case auth.Caseworker, auth.Supervisor:
		return "/desk"
	case auth.Provider:
		return "/inbox"
	case auth.Admin:
		return "/admin/accounts"
	}
	return "/"
}

// staffNav is the service navigation of a staff role.
func staffNav(r auth.Role) []navItem {
	switch r {
	case auth.Caseworker:
		return []navItem{{Href: "/desk", Key: "nav.desk"}, {Href: "/board", Key: "nav.board"}, {Href: "/escalations", Key: "nav.escalations"}, {Href: "/records", Key: "nav.records"}}
	case auth.Supervisor:
		return []navItem{{Href: "/desk", Key: "nav.desk"}, {Href: "/board", Key: "nav.board"}, {Href: "/escalations", Key: "nav.escalations"},
			{Href: "/appeals", Key: "nav.appeals"}, {Href: "/reports/providers", Key: "nav.report"}, {Href: "/records", Key: "nav.records"}, {Href: "/logs/events", Key: "nav.logs"}}
	case auth.Provider:
		return []navItem{{Href: "/inbox", Key: "nav.inbox"}, {Href: "/records", Key: "nav.records"}}
	case auth.Admin:
		return []navItem{{Href: "/admin/accounts", Key: "nav.accounts"}, {Href: "/admin/providers", Key: "nav.providers"}, {Href: "/admin/calendar", Key: "nav.calendar"}}
	}
	return []navItem{{Href: "/", Key: "nav.home"}}
}

// option is a choice of a select or a radio group.
type option struct {
	Value    string
	Key      string // catalogue key of its label ("" = Text)
	Text     string
	Selected bool
}

func options(selected string, values []string, prefix string) []option {
	out := make([]option, 0, len(values))
	for _, v := range values {
		out = append(out, option{Value: v, Key: prefix + "." + v, Selected: v == selected})
	}
	return out
}

// ---- the worklist ----

var (
	caseKinds   = []string{workflows.CaseKindObjection, workflows.CaseKindListing, workflows.CaseKindRepair}
	lights      = []string{"red", "yellow", "green", casework.LightNone}
	partyFilter = []string{"centre", "provider", "subject", "supervisor"}
	// allStages are the stages of the three procedures, in procedure order.
	allStages = []string{
		workflows.StageAcceptance, workflows.StageAwaitingSupplement, workflows.StageCentreCheck, workflows.StageProviderVerification,
		workflows.StageProviderOpinion, workflows.StageAwaitingPublicity, workflows.StagePublicity, workflows.StageObjectionVerification,
		workflows.StageListingNotice, workflows.StageRepresentation, workflows.StageHearing, workflows.StageReview,
		workflows.StageDeciding, workflows.StageListed, workflows.StageRemovalDue, workflows.StageClosed, workflows.StageAppeal,
	}
)

type worklistView struct {
	Filter   casework.WorklistFilter
	Page     casework.WorklistPage
	Rows     []worklistRow
	Kinds    []option
	Stages   []option
	Profiles []option
	Parties  []option
	Lights   []option
	Counts   []lightCount
	Next     string // the next page's address ("" on the last page)
	First    string // the first page's address (on a later page)
	Filtered bool
}

// worklistRow is a row of the worklist as the page draws it. Its fields are
// its own, not an embedded casework.WorklistRow: text/template finds an
// embedded struct's field by a reflective search that allocates, once per
// field per row — a sixth of the page's CPU at 50 rows.
type worklistRow struct {
	CaseNo, Kind, Stage, Profile, Light string
	AssignedTo, AssignedName            string
	Due                                 *deadlineView
}

type lightCount struct {
	Light string
	N     int
	Href  string
	On    bool
}

// worklist is the caseworker's desk: every open case, soonest deadline
// first, with counts per light at the top.
func (c *Console) worklist(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getWorklist", auth.Caseworker, auth.Supervisor); err != nil {
		return err
	}
	p.Nav = "/desk"
	f := casework.WorklistFilter{Kind: ctx.QueryParam("kind"), Stage: ctx.QueryParam("stage"), Profile: ctx.QueryParam("profile"),
		Party: ctx.QueryParam("party"), Light: ctx.QueryParam("light"), Mine: ctx.QueryParam("mine") == "1", After: ctx.QueryParam("after")}
	pg, err := c.App.Casework.Worklist(ctx.Request().Context(), actor(p), f)
	if err != nil {
		return err
	}
	v := worklistView{Filter: f, Page: pg,
		Kinds: options(f.Kind, caseKinds, "kind"), Stages: stageOptions(p, f.Stage),
		Parties: options(f.Party, partyFilter, "partyf"), Lights: options(f.Light, lights, "light"),
		Filtered: f.Kind != "" || f.Stage != "" || f.Profile != "" || f.Party != "" || f.Light != "" || f.Mine}
	for _, id := range policy.Default().IDs() {
		v.Profiles = append(v.Profiles, option{Value: id, Key: "profile." + id, Selected: id == f.Profile})
	}
	q := func(light, after string) string {
		u := url.Values{}
		for k, val := range map[string]string{"kind": f.Kind, "stage": f.Stage, "profile": f.Profile, "party": f.Party, "light": light, "after": after} {
			if val != "" {
				u.Set(k, val)
			}
		}
		if f.Mine {
			u.Set("mine", "1")
		}
		if len(u) == 0 {
			return "/desk"
		}
		return "/desk?" + u.Encode()
	}
	for _, l := range []struct {
		light string
		n     int
	}{{"red", pg.Counts.Red}, {"yellow", pg.Counts.Yellow}, {"green", pg.Counts.Green}, {casework.LightNone, pg.Counts.None}} {
		v.Counts = append(v.Counts, lightCount{Light: l.light, N: l.n, Href: q(l.light, ""), On: f.Light == l.light})
	}
	for _, r := range pg.Rows {
		row := worklistRow{CaseNo: r.CaseNo, Kind: r.Kind, Stage: r.Stage, Profile: r.Profile, Light: r.Light,
			AssignedTo: r.AssignedTo, AssignedName: r.AssignedName}
		if r.Deadline != nil {
			d := c.staffDeadline(*r.Deadline, r.Profile)
			row.Due = &d
		}
		v.Rows = append(v.Rows, row)
	}
	if pg.Next != "" {
		v.Next = q(f.Light, pg.Next)
	}
	if f.After != "" {
		v.First = q(f.Light, "")
	}
	return c.render(ctx, p, http.StatusOK, "staff-worklist", v)
}

// caseHref is the staff page of a case.
func caseHref(no string) string { return "/cases/" + url.PathEscape(no) }

// itoa is strconv.Itoa for templates' ids.
func itoa(n int) string { return strconv.Itoa(n) }

// choiceView is a select or radio group as the partials draw it.
type choiceView struct {
	P       *page
	Name    string
	Label   string
	Hint    string
	All     string
	Options []option
	Err     string
}

type lightView struct {
	P     *page
	Light string
}

type backView struct {
	P         *page
	Href, Key string
}

func init() {
	funcs["sel"] = func(p *page, name, label string, opts []option, all string) choiceView {
		return choiceView{P: p, Name: name, Label: label, All: all, Options: opts, Err: p.Err(name)}
	}
	funcs["radios"] = func(p *page, name, label string, opts []option) choiceView {
		return choiceView{P: p, Name: name, Label: label, Options: opts, Err: p.Err(name)}
	}
	funcs["hinted"] = func(hint string, v choiceView) choiceView { v.Hint = hint; return v }
	funcs["lightp"] = func(p *page, light string) lightView { return lightView{P: p, Light: light} }
	funcs["backp"] = func(p *page, href, key string) backView { return backView{P: p, Href: href, Key: key} }
	funcs["casehref"] = caseHref
	funcs["itoa"] = itoa
}

// sfieldView is a field of a step's form (partials sinput, stextarea,
// sradios): its element id is the step's name and the field's.
type sfieldView struct {
	P         *page
	ID, Name  string
	Label     string
	Hint      string
	Value     string
	Type      string
	Err       string
	Described string
	Wide      bool
	Rows      int
	Options   []option
}

// formHolder is a page's data that keeps what the reader posted to a
// refused step.
type formHolder interface {
	posted(step, name string) (string, bool)
}

func (v staffCaseView) posted(step, name string) (string, bool) {
	if v.Step != step || v.Form == nil {
		return "", false
	}
	vals, ok := v.Form[name]
	if !ok || len(vals) == 0 {
		return "", v.Step == step
	}
	return vals[0], true
}

func stepField(p *page, step, name, label string, hint ...string) sfieldView {
	id := step + "-" + fieldID(name)
	f := sfieldView{P: p, ID: id, Name: name, Label: label, Type: "text", Err: p.Err(id)}
	if fh, ok := p.D.(formHolder); ok {
		f.Value, _ = fh.posted(step, name)
	}
	if len(hint) > 0 {
		f.Hint = hint[0]
	}
	var ids []string
	if f.Hint != "" {
		ids = append(ids, id+"-hint")
	}
	if f.Err != "" {
		ids = append(ids, id+"-error")
	}
	f.Described = strings.Join(ids, " ")
	return f
}

func init() {
	funcs["sf"] = stepField
	funcs["sfv"] = func(v string, f sfieldView) sfieldView {
		if f.Value == "" {
			f.Value = v
		}
		return f
	}
	funcs["stype"] = func(t string, f sfieldView) sfieldView { f.Type = t; return f }
	funcs["swide"] = func(f sfieldView) sfieldView { f.Wide = true; return f }
	funcs["srows"] = func(n int, f sfieldView) sfieldView { f.Rows = n; return f }
	// sr is a radio group of a step's form; the posted choice (or else
	// the option marked Selected) is checked.
	funcs["sr"] = func(p *page, step, name, label string, opts []option) sfieldView {
		f := stepField(p, step, name, label)
		chosen, posted := "", false
		if fh, ok := p.D.(formHolder); ok {
			chosen, posted = fh.posted(step, name)
		}
		out := make([]option, len(opts))
		for i, o := range opts {
			if posted {
				o.Selected = o.Value == chosen
			}
			out[i] = o
		}
		f.Options = out
		return f
	}
	funcs["opts"] = func(prefix string, values ...string) []option { return options("", values, prefix) }
	funcs["yesno"] = func(yes, no string) []option {
		return []option{{Value: "1", Key: yes}, {Value: "0", Key: no}}
	}
}

// stageName is a stage in words, as the core names it (refusals say the
// same), in the reader's language; with the case's profile, in the words
// of what follows an objection's reply under it (casework.StageNameUnder).
func stageName(p *page, stage string, profile ...string) string {
	route := ""
	if len(profile) > 0 {
		route = p.Route(profile[0])
	}
	t := casework.StageNameUnder(stage, route)
	return capitalise(p.L.Pick(t.ZH, t.EN))
}

// capitalise makes the first letter of an English text a capital.
func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// eventName is an event of a case's timeline in words: the subject
// pages' name where there is one, else the staff pages', else its code.
func eventName(p *page, action string) string {
	for _, k := range []string{"event." + action, "sevent." + action} {
		if known(k) {
			return p.L.T(k)
		}
	}
	return action
}

func init() {
	funcs["stagename"] = stageName
	funcs["keyunder"] = KeyUnder
	funcs["eventname"] = eventName
}

func stageOptions(p *page, selected string) []option {
	out := make([]option, 0, len(allStages))
	for _, st := range allStages {
		out = append(out, option{Value: st, Text: stageName(p, st), Selected: st == selected})
	}
	return out
}

// staffDeadline is a deadline as the staff pages show it: the subject's
// deadlines are the subject's ("信用主体"), not the reader's ("您") as on
// the subject's own pages.
func (c *Console) staffDeadline(d casework.Deadline, profileID string) deadlineView {
	v := c.deadline(d, profileID)
	if v.PartyKey == "party.subject" {
		v.PartyKey = "sparty.subject"
	}
	return v
}
