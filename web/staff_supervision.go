package web

// The supervisors' pages (issue 15): escalations to handle, the provider
// performance report (a chart drawn on the server, and CSV), the event
// log and the query log. Each calls the core's use case of the same name
// as the API's operation, with the reader as the actor.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/registry"
	"github.com/creditcase/creditcase/internal/supervision"
)

func (c *Console) routesSupervision(get, post func(string, handler)) {
	get("/board", c.board)
	get("/escalations", c.escalations)
	post("/escalations/:id/:action", c.escalationAct)
	get("/reports/providers", c.providerReport)
	get("/reports/providers.csv", c.providerReportCSV)
	get("/logs/events", c.eventLog)
	get("/logs/queries", c.queryLog)
}

// ---- escalations ----

// escalationsView lists escalations (open ones by default) with the
// handling a supervisor may take on each.
type escalationsView struct {
	State     string
	States    []option
	Rows      []escalationRow
	Assignees []option
	CanAct    bool
	// the form that was refused: its escalation, action and values
	Refused int64
	Action  string
	Form    url.Values
	Next    string
}

type escalationRow struct {
	supervision.EscalationRow
	RuleKey      string
	PartyKey     string
	PartyName    string
	AssignedName string
	// the handling offered now (a resolved escalation has none; an
	// acknowledged one is not acknowledged again)
	Acknowledge, Reassign, Order bool
}

// value is what the reader posted in field name of the refused form of
// escalation id and action.
func (v escalationsView) Value(id int64, action, name string) string {
	if v.Refused != id || v.Action != action || v.Form == nil {
		return ""
	}
	return v.Form.Get(name)
}

var escalationStates = []string{supervision.EscalationOpen, supervision.EscalationAcknowledged, supervision.EscalationResolved, "all"}

// escalations lists escalations, newest first.
func (c *Console) escalations(ctx echo.Context, p *page) error {
	v, err := c.escalationsView(ctx, p, ctx.QueryParam("state"))
	if err != nil {
		return err
	}
	if done := ctx.QueryParam("done"); done != "" && known("done.esc."+done) {
		p.Notice = p.L.T("done.esc."+done, ctx.QueryParam("id"))
	}
	return c.render(ctx, p, http.StatusOK, "staff-escalations", v)
}

func (c *Console) escalationsView(ctx echo.Context, p *page, state string) (escalationsView, error) {
	if _, err := c.require(ctx, p, "listEscalations", auth.Caseworker, auth.Supervisor); err != nil {
		return escalationsView{}, err
	}
	p.Nav = "/escalations"
	rc := ctx.Request().Context()
	a := actor(p)
	if state == "" {
		state = supervision.EscalationOpen
	}
	f := casework.EscalationFilter{State: state, Limit: 50}
	if b := ctx.QueryParam("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return escalationsView{}, errNotFound
		}
		f.Before = n
	}
	pg, err := c.App.Casework.Escalations(rc, a, f)
	if err != nil {
		return escalationsView{}, err
	}
	v := escalationsView{State: state, States: options(state, escalationStates, "escstate"), CanAct: p.Account.Role == auth.Supervisor}
	names := map[int64]string{}
	if v.CanAct {
		people, err := c.App.Casework.Assignees(rc, a)
		if err != nil {
			return escalationsView{}, err
		}
		for _, x := range people {
			names[x.ID] = x.DisplayName
			v.Assignees = append(v.Assignees, option{Value: strconv.FormatInt(x.ID, 10), Text: x.DisplayName + " (" + x.Username + ")"})
		}
	}
	providers, err := c.providerNames(ctx, p)
	if err != nil {
		return escalationsView{}, err
	}
	for _, e := range pg.Escalations {
		r := escalationRow{EscalationRow: e, RuleKey: KeyUnder(ruleKey(e.Rule), p.Route(e.Profile)), PartyKey: partyKey(e.Party), PartyName: providers[e.Party]}
		if e.AssignedTo > 0 {
			r.AssignedName = names[e.AssignedTo]
			if r.AssignedName == "" {
				r.AssignedName = p.L.T("esc.account", e.AssignedTo)
			}
		}
		if v.CanAct && e.State != supervision.EscalationResolved {
			r.Acknowledge = e.State == supervision.EscalationOpen
			r.Reassign, r.Order = true, true
		}
		v.Rows = append(v.Rows, r)
	}
	if pg.NextBefore > 0 {
		v.Next = "/escalations?" + url.Values{"state": {state}, "before": {strconv.FormatInt(pg.NextBefore, 10)}}.Encode()
	}
	return v, nil
}

// providerNames are the providers' names by party ("provider:<id>").
func (c *Console) providerNames(ctx echo.Context, p *page) (map[string]string, error) {
	ps, err := c.App.Registry.Providers(ctx.Request().Context(), actor(p))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for _, x := range ps {
		out["provider:"+strconv.FormatInt(x.ID, 10)] = x.Name
	}
	return out, nil
}

// ruleKey is the catalogue key of a deadline rule's name ("" if none).
func ruleKey(rule string) string {
	for _, k := range []string{"rule." + rule, "srule." + rule} {
		if known(k) {
			return k
		}
	}
	return ""
}

// escalationAct acknowledges, reassigns or orders a correction; a refusal
// is shown on the escalation's form with what the reader typed.
func (c *Console) escalationAct(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "escalation", auth.Supervisor); err != nil {
		return err
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	action := ctx.Param("action")
	form, err := c.readForm(ctx)
	if err != nil {
		return err
	}
	in := casework.EscalationAction{Note: form.Get("note")}
	var local []fieldError
	if s := form.Get("assign_to"); s != "" {
		if in.AssignTo, err = strconv.ParseInt(s, 10, 64); err != nil {
			local = append(local, fieldError{Field: escField(id, action, "assign_to"), Msg: p.L.T("esc.assign.pick")})
		}
	}
	if len(local) == 0 {
		_, err = c.App.Casework.ActOnEscalation(ctx.Request().Context(), actor(p), id, action, in)
		if err == nil {
			return ctx.Redirect(http.StatusSeeOther, "/escalations?"+url.Values{"done": {action}, "id": {strconv.FormatInt(id, 10)}}.Encode())
		}
		if s, ok := refusalOf(err); ok && s == http.StatusNotFound {
			return err
		}
	}
	status := http.StatusUnprocessableEntity
	if len(local) > 0 {
		p.Errors, p.Problem = local, p.L.T("form.fix")
	} else if !stepRefused(p, escField(id, action, ""), err) {
		return err
	} else {
		status = statusOf(err)
	}
	// the refused form is shown again on the list that holds its
	// escalation, whatever its state
	state := "all"
	if e, gerr := c.App.Casework.Escalation(ctx.Request().Context(), actor(p), id); gerr == nil {
		state = e.State
	}
	v, verr := c.escalationsView(ctx, p, state)
	if verr != nil {
		return verr
	}
	v.Refused, v.Action, v.Form = id, action, form
	return c.render(ctx, p, status, "staff-escalations", v)
}

// escField is the element id of field name on the form of action on
// escalation id (stepRefused adds "-" and the field).
func escField(id int64, action, name string) string {
	s := fmt.Sprintf("x%d-%s", id, action)
	if name != "" {
		s += "-" + fieldID(name)
	}
	return s
}

func init() {
	funcs["escfield"] = func(id int64, action, name string) string { return escField(id, action, name) }
	// escf is a text field of the form of action on escalation id, with
	// what the reader posted if that form was refused.
	funcs["escf"] = func(p *page, id int64, action, name, label string) sfieldView {
		fid := escField(id, action, name)
		f := sfieldView{P: p, ID: fid, Name: name, Label: label, Type: "text", Err: p.Err(fid)}
		if v, ok := p.D.(escalationsView); ok {
			f.Value = v.Value(id, action, name)
		}
		if f.Err != "" {
			f.Described = fid + "-error"
		}
		return f
	}
}

// ---- the provider performance report ----

type reportView struct {
	From, To string
	Report   *supervision.ProviderReport
	Chart    chartView
	CSV      string
	Lines    []reportLine
}

type reportLine struct {
	supervision.Performance
	Name    string
	RuleKey string
	Total   bool // a provider's total (its rules follow)
	Rate    string
}

// chartView is a horizontal stacked bar per provider (on time, late,
// missed), drawn on the server as SVG.
type chartView struct {
	Width, Height int
	Bars          []chartBar
	Ticks         []chartTick
	LabelX        int // right edge of the providers' names
}

type chartBar struct {
	TextY    int
	Label    string
	Segments []chartSegment
	Total    int
	TotalX   int
}

type chartSegment struct {
	X, Y, W, H int
	Class      string
	Title      string
}

type chartTick struct {
	X     int
	Value int
}

// providerReport shows per provider and rule the deadlines met on time,
// late and missed over a period, with a chart and a CSV download.
func (c *Console) providerReport(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getProviderPerformance", auth.Supervisor); err != nil {
		return err
	}
	p.Nav = "/reports/providers"
	per := casework.ReportPeriod{From: ctx.QueryParam("from"), To: ctx.QueryParam("to")}
	v := reportView{From: per.From, To: per.To}
	rep, err := c.App.Casework.ProviderPerformance(ctx.Request().Context(), actor(p), per)
	if err != nil {
		if !formRefused(p, err) {
			return err
		}
		return c.render(ctx, p, statusOf(err), "staff-report", v)
	}
	v.Report, v.From, v.To = &rep, rep.From, rep.To
	v.CSV = "/reports/providers.csv?" + url.Values{"from": {rep.From}, "to": {rep.To}}.Encode()
	rate := func(x supervision.Performance) string {
		if x.Total == 0 {
			return "—"
		}
		return strconv.FormatFloat(x.OnTimeRate*100, 'f', 1, 64) + "%"
	}
	for _, t := range rep.Providers {
		name := t.ProviderName
		if name == "" {
			name = p.L.T("report.provider.unknown", t.ProviderID)
		}
		v.Lines = append(v.Lines, reportLine{Performance: t.Performance, Name: name, Total: true, Rate: rate(t.Performance)})
		for _, r := range t.Rules {
			v.Lines = append(v.Lines, reportLine{Performance: r, Name: name, RuleKey: ruleKey(r.Rule), Rate: rate(r)})
		}
	}
	v.Chart = drawReport(p, rep)
	return c.render(ctx, p, http.StatusOK, "staff-report", v)
}

// drawReport lays out the chart: one bar per provider, its length the
// provider's deadlines in the period, split into on time, late, missed.
func drawReport(p *page, rep supervision.ProviderReport) chartView {
	const left, plot, bar, gap, top = 220, 440, 22, 14, 30
	ch := chartView{Width: left + plot + 60, LabelX: left - 8}
	most := 0
	for _, t := range rep.Providers {
		most = max(most, t.Total)
	}
	if most == 0 {
		return ch
	}
	step := niceStep(most)
	scale := func(n int) int { return n * plot / (((most + step - 1) / step) * step) }
	for v := 0; v <= ((most+step-1)/step)*step; v += step {
		ch.Ticks = append(ch.Ticks, chartTick{X: left + scale(v), Value: v})
	}
	for i, t := range rep.Providers {
		y := top + i*(bar+gap)
		name := t.ProviderName
		if name == "" {
			name = p.L.T("report.provider.unknown", t.ProviderID)
		}
		b := chartBar{TextY: y + 16, Label: name, Total: t.Total, TotalX: left + scale(t.Total) + 6}
		x := left
		for _, s := range []struct {
			n     int
			class string
			key   string
		}{{t.OnTime, "ontime", "report.ontime"}, {t.Late, "late", "report.late"}, {t.Missed, "missed", "report.missed"}} {
			if s.n == 0 {
				continue
			}
			w := scale(s.n)
			b.Segments = append(b.Segments, chartSegment{X: x, Y: y, W: w, H: bar, Class: s.class, Title: p.L.T("fmt.count", p.L.T(s.key), s.n)})
			x += w
		}
		ch.Bars = append(ch.Bars, b)
	}
	ch.Height = top + len(rep.Providers)*(bar+gap) + 10
	return ch
}

// niceStep is a round tick interval giving at most about five ticks.
func niceStep(most int) int {
	for _, s := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000} {
		if most/s <= 5 {
			return s
		}
	}
	return most/5 + 1
}

// providerReportCSV is the same report as CSV (UTF-8 with a byte-order
// mark, one line per provider total then its rules).
func (c *Console) providerReportCSV(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getProviderPerformance", auth.Supervisor); err != nil {
		return err
	}
	rep, err := c.App.Casework.ProviderPerformance(ctx.Request().Context(), actor(p), casework.ReportPeriod{From: ctx.QueryParam("from"), To: ctx.QueryParam("to")})
	if err != nil {
		return err
	}
	h := ctx.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="provider-performance-%s-%s.csv"`, rep.From, rep.To))
	h.Set("Cache-Control", "no-store")
	ctx.Response().WriteHeader(http.StatusOK)
	if err := rep.WriteCSV(ctx.Response()); err != nil {
		c.Logger.Error().Err(err).Msg("provider report CSV not written")
	}
	return nil
}

// ---- the event log and the query log ----

type eventLogView struct {
	Action, ObjectType, ObjectID, AccountID string
	Events                                  []eventRow
	Next                                    string
	Filtered                                bool
}

type eventRow struct {
	audit.Event
	DataJSON string
}

type queryLogView struct {
	RecordID, AccountID string
	Queries             []audit.Query
	Next                string
	Filtered            bool
}

const logPage = 50

// idParam reads a numeric filter; a value that is not a positive number
// is marked on its field.
func idParam(p *page, ctx echo.Context, name string) int64 {
	s := strings.TrimSpace(ctx.QueryParam(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		p.Errors = append(p.Errors, fieldError{Field: name, Msg: p.L.T("logs.id.invalid")})
		return 0
	}
	return n
}

// eventLog is the event log with its filters, newest first.
func (c *Console) eventLog(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listEvents", auth.Supervisor); err != nil {
		return err
	}
	p.Nav = "/logs/events"
	v := eventLogView{Action: ctx.QueryParam("action"), ObjectType: ctx.QueryParam("object_type"), ObjectID: ctx.QueryParam("object_id"),
		AccountID: ctx.QueryParam("account_id")}
	v.Filtered = v.Action != "" || v.ObjectType != "" || v.ObjectID != "" || v.AccountID != ""
	f := registry.EventFilter{Action: strings.TrimSpace(v.Action), ObjectType: strings.TrimSpace(v.ObjectType), ObjectID: strings.TrimSpace(v.ObjectID),
		AccountID: idParam(p, ctx, "account_id"), Before: idParam(p, ctx, "before"), Limit: logPage}
	if len(p.Errors) > 0 {
		p.Problem = p.L.T("form.fix")
		return c.render(ctx, p, http.StatusBadRequest, "staff-events", v)
	}
	evs, err := c.App.Registry.Events(ctx.Request().Context(), actor(p), f)
	if err != nil {
		if !formRefused(p, err) {
			return err
		}
		return c.render(ctx, p, statusOf(err), "staff-events", v)
	}
	for _, e := range evs {
		r := eventRow{Event: e}
		if len(e.Data) > 0 {
			if b, err := json.Marshal(e.Data); err == nil {
				r.DataJSON = string(b)
			}
		}
		v.Events = append(v.Events, r)
	}
	if len(evs) == logPage {
		q := ctx.QueryParams()
		q.Set("before", strconv.FormatInt(evs[len(evs)-1].ID, 10))
		v.Next = "/logs/events?" + q.Encode()
	}
	return c.render(ctx, p, http.StatusOK, "staff-events", v)
}

// queryLog is the log of non-public record reads with their purpose.
func (c *Console) queryLog(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listQueryLog", auth.Supervisor); err != nil {
		return err
	}
	p.Nav = "/logs/events"
	v := queryLogView{RecordID: ctx.QueryParam("record_id"), AccountID: ctx.QueryParam("account_id")}
	v.Filtered = v.RecordID != "" || v.AccountID != ""
	f := registry.QueryFilter{RecordID: idParam(p, ctx, "record_id"), AccountID: idParam(p, ctx, "account_id"), Before: idParam(p, ctx, "before"), Limit: logPage}
	if len(p.Errors) > 0 {
		p.Problem = p.L.T("form.fix")
		return c.render(ctx, p, http.StatusBadRequest, "staff-queries", v)
	}
	qs, err := c.App.Registry.QueryLog(ctx.Request().Context(), actor(p), f)
	if err != nil {
		if !formRefused(p, err) {
			return err
		}
		return c.render(ctx, p, statusOf(err), "staff-queries", v)
	}
	v.Queries = qs
	if len(qs) == logPage {
		q := ctx.QueryParams()
		q.Set("before", strconv.FormatInt(qs[len(qs)-1].ID, 10))
		v.Next = "/logs/queries?" + q.Encode()
	}
	return c.render(ctx, p, http.StatusOK, "staff-queries", v)
}
