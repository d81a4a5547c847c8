package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/caseno"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/workflows"
)

// deadlineView is a deadline as every page shows it: what it is, who must
// act, the due date, the working days left (negative: overdue), the
// explanation on demand and whether it is provisional.
type deadlineView struct {
	casework.Deadline
	RuleKey  string // catalogue key of the rule's name ("" when unknown)
	PartyKey string
	DaysLeft int
	HasDays  bool
	Light    string // red | yellow | green (pending only)
	// Previous are the deadlines this one replaced (recomputed, extended,
	// moved by a pause), latest first: old and new side by side.
	Previous []deadlineView
}

// deadline prepares d for a page: the working days from today to the due
// date are counted on the case profile's calendar.
func (c *Console) deadline(d casework.Deadline, profileID string) deadlineView {
	v := deadlineView{Deadline: d}
	if known("rule." + d.Rule) {
		// The window after an objection's reply is named for what follows
		// it under the case's profile (an appeal, or the hand-over).
		v.RuleKey = KeyUnder("rule."+d.Rule, c.App.Casework.ResultRoute(context.Background(), profileID, ""))
	} else if known("srule." + d.Rule) {
		v.RuleKey = "srule." + d.Rule
	}
	v.PartyKey = partyKey(d.Party)
	if d.State != "pending" {
		return v
	}
	opt := calendar.Options{Provisional: d.Provisional}
	margin := supervision.DefaultWarningMargin
	if prof, err := policy.Default().Get(profileID); err == nil {
		opt.Region = prof.Region
		margin = prof.Settings.WarningMarginWD.Value
	}
	due, err := calendar.ParseDate(d.DueDate)
	if err != nil {
		return v
	}
	n, err := c.calendarOf(d.CalendarVersion).WorkingDaysBetween(calendar.DateOf(c.Now()), due, opt)
	if err != nil {
		return v
	}
	v.DaysLeft, v.HasDays = n, true
	switch {
	case n < 0 || (n == 0 && c.Now().After(d.DueAt)):
		v.Light = "red"
	case n <= margin: // the profile's warning margin, as on the board
		v.Light = "yellow"
	default:
		v.Light = "green"
	}
	return v
}

// calendarOf is the calendar a deadline was counted with, from the core
// (the process's rules: an imported year or region counts as the due date
// was counted); the built-in calendar when the core cannot answer, which is
// logged.
func (c *Console) calendarOf(version string) *calendar.Calendar {
	// A version is read from the database once, then held by the rules.
	cal, err := c.App.Casework.DeadlineCalendar(context.Background(), version)
	if err != nil || cal == nil {
		c.Logger.Error().Err(err).Str("calendar_version", version).Msg("console: deadline calendar unavailable, counting on the built-in one")
		return calendar.Default()
	}
	return cal
}

func partyKey(party string) string {
	switch party {
	case activities.PartyCentre, activities.PartySubject, activities.PartySupervisor:
		return "party." + party
	case "":
		return ""
	}
	return "party.provider"
}

func (c *Console) deadlines(ds []casework.Deadline, profileID string) []deadlineView {
	out := make([]deadlineView, 0, len(ds))
	for _, d := range ds {
		out = append(out, c.deadline(d, profileID))
	}
	return out
}

// pendingFirst is the pending deadlines (soonest first) then the settled.
func pendingFirst(ds []deadlineView) (pending, settled []deadlineView) {
	for _, d := range ds {
		if d.State == "pending" {
			pending = append(pending, d)
		} else {
			settled = append(settled, d)
		}
	}
	for i := 1; i < len(pending); i++ {
		for j := i; j > 0 && pending[j].DueAt.Before(pending[j-1].DueAt); j-- {
			pending[j], pending[j-1] = pending[j-1], pending[j]
		}
	}
	return pending, settled
}

// ---- the subject's cases: objections, repairs, listings ----

func (c *Console) routesCases(get, post func(string, handler)) {
	get("/my/cases", c.myCases)
	get("/my/cases/:no", c.myCase)
	post("/my/cases/:no/:step", c.myCaseStep)
	get("/my/cases/:no/documents/:id", c.caseDocument)
	get("/my/cases/:no/evidence/:id", c.caseEvidenceFile)
}

// caseRow is a row of "my cases": any kind, its stage and next deadline.
type caseRow struct {
	CaseNo, Kind, Stage, Status string
	Profile                     string
	Opened                      time.Time
	Next                        *deadlineView
}

type myCasesView struct {
	Cases []caseRow
}

// myCases lists every case about the subject — its objections, its repair
// applications, the listings proposed against it — open ones first,
// soonest deadline first.
func (c *Console) myCases(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listObjections", auth.Subject); err != nil {
		return err
	}
	p.Nav = "/my/cases"
	rc, a := ctx.Request().Context(), actor(p)
	v := myCasesView{}
	add := func(no, kind, stage, status, profile string, opened time.Time, next *casework.Deadline) {
		row := caseRow{CaseNo: no, Kind: kind, Stage: stage, Status: status, Profile: profile, Opened: opened}
		if next != nil {
			d := c.deadline(*next, profile)
			row.Next = &d
		}
		v.Cases = append(v.Cases, row)
	}
	objs, err := c.App.Casework.ListObjections(rc, a, casework.ObjectionFilter{Limit: records.MaxPage})
	if err != nil {
		return err
	}
	reps, err := c.App.Casework.ListRepairs(rc, a, casework.ObjectionFilter{Limit: records.MaxPage})
	if err != nil {
		return err
	}
	for _, cs := range append(objs.Cases, reps.Cases...) {
		add(cs.CaseNo, cs.Kind, cs.Stage, cs.Status, cs.ProfileID, cs.OpenedAt, cs.NextDeadline)
	}
	ls, err := c.App.Casework.ListListings(rc, a, casework.ListingFilter{})
	if err != nil {
		return err
	}
	for _, l := range ls {
		add(l.ProposalNo, "listing", l.Stage, l.Status, l.ProfileID, l.ProposedAt, l.NextDeadline)
	}
	slices.SortStableFunc(v.Cases, func(x, y caseRow) int {
		switch {
		case x.Next != nil && y.Next != nil:
			return x.Next.DueAt.Compare(y.Next.DueAt)
		case x.Next != nil:
			return -1
		case y.Next != nil:
			return 1
		}
		return y.Opened.Compare(x.Opened)
	})
	return c.render(ctx, p, http.StatusOK, "my-cases", v)
}

// caseKind is the procedure of case number no ("" when it is none).
func caseKind(no string) string {
	pt, ok := caseno.Parse(no)
	if !ok {
		return ""
	}
	switch pt.Prefix {
	case caseno.Objection:
		return "objection"
	case caseno.Repair:
		return "repair"
	case caseno.Listing:
		return "listing"
	}
	return ""
}

// caseBase holds what every case page shows besides its own parts: the
// deadlines, the letters, the timeline and the steps open to the reader,
// with the form of a step that was refused.
type caseBase struct {
	No        string
	Kind      string
	Base      string // the case page's path
	Pending   []deadlineView
	Settled   []deadlineView
	Next      *deadlineView
	Documents []documents.Meta
	Events    []casework.CaseEvent
	Actions   map[string]*casework.Action // by step name; absent: not open to the reader now
	HasAction bool
	Form      stepForm
	// Route is what follows an objection's written reply under the
	// profile (the version) the case opened with: the words of its closed
	// stage and window (policy.ResultRoute).
	Route string
}

func (c *Console) caseBase(p *page, kind, no, profile string, ds []casework.Deadline, docs []documents.Meta,
	events []casework.CaseEvent, actions []casework.Action) caseBase {
	b := caseBase{No: no, Kind: kind, Base: "/my/cases/" + url.PathEscape(no), Documents: docs, Events: events,
		Actions: map[string]*casework.Action{}}
	b.Pending, b.Settled = pendingFirst(c.deadlines(ds, profile))
	if len(b.Pending) > 0 {
		b.Next = &b.Pending[0]
	}
	for i := range actions {
		b.Actions[actions[i].Name] = &actions[i]
		b.HasAction = true
	}
	p.Nav = "/my/cases"
	p.Title = p.L.T("page.my-case", no)
	return b
}

// myCase shows one of the subject's cases, whatever its kind.
func (c *Console) myCase(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getObjection", auth.Subject); err != nil {
		return err
	}
	no := ctx.Param("no")
	if done := ctx.QueryParam("done"); done == "filed" {
		p.Notice = p.L.T("case.done.filed."+caseKind(no), no)
	} else if done != "" && known("case.done."+done) {
		p.Notice = p.L.T("case.done." + done)
	}
	return c.showCase(ctx, p, no, stepForm{})
}

// showCase renders case no's page with form (a refused step's answers).
func (c *Console) showCase(ctx echo.Context, p *page, no string, form stepForm) error {
	// The core names a refused field as the API spells it; on the page it
	// is the field of the step's own form.
	for i, e := range p.Errors {
		if form.Step != "" && !strings.HasPrefix(e.Field, form.Step+"-") {
			p.Errors[i].Field = form.Step + "-" + e.Field
		}
	}
	status := http.StatusOK
	if len(p.Errors) > 0 || p.Problem != "" {
		status = http.StatusUnprocessableEntity
	}
	switch caseKind(no) {
	case "objection":
		v, err := c.objectionCase(ctx, p, no)
		if err != nil {
			return err
		}
		v.Form = form
		return c.render(ctx, p, status, "my-case", v)
	case "repair":
		v, err := c.repairCase(ctx, p, no)
		if err != nil {
			return err
		}
		v.Form = form
		return c.render(ctx, p, status, "my-repair", v)
	case "listing":
		v, err := c.listingCase(ctx, p, no)
		if err != nil {
			return err
		}
		v.Form = form
		return c.render(ctx, p, status, "my-listing", v)
	}
	return errNotFound
}

// stepForm is what the reader gave for one of its steps on a case; it is
// carried through "check your answers" and back into the form when the
// reader changes it or the core refuses it.
type stepForm struct {
	Step      string
	Statement string
	Reason    string
	Grounds   string
	Files     []heldFile
}

// points are a statement's points (陈述申辩意见), one per paragraph: the
// centre answers each.
func (f stepForm) Points() []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(f.Statement, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			out = append(out, para)
		}
	}
	return out
}

// stepSpec is what a step asks for: its fields, which one is required,
// whether it takes files, and its catalogue keys.
type stepSpec struct {
	Statement, Reason, Grounds, Files bool
	Required                          string // the field that must be filled ("" none)
	Warning                           string // a catalogue key shown before confirming ("" none)
}

// steps are the subject's steps by case kind and name.
var steps = map[string]map[string]stepSpec{
	"objection": {
		"supplement": {Statement: true, Files: true, Required: "statement"},
		"withdraw":   {Reason: true, Warning: "objection.withdraw.warning"},
		"appeal":     {Grounds: true, Required: "grounds"},
		"hand-over":  {Reason: true, Required: "reason"},
	},
	"repair": {
		"supplement": {Statement: true, Files: true, Required: "statement"},
		"withdraw":   {Reason: true, Warning: "repair.withdraw.warning"},
	},
	"listing": {
		"statements":      {Statement: true, Required: "statement"},
		"hearing-request": {Reason: true},
		"waiver":          {Reason: true, Warning: "listing.waiver.warning"},
	},
}

// stepCheckView is "check your answers" before a step is filed.
type stepCheckView struct {
	No, Kind, Base string
	Action         casework.Action
	Spec           stepSpec
	Form           stepForm
}

// myCaseStep takes one of the subject's steps on a case, in two posts:
// the form shows "check your answers" (the step's label, every answer,
// what it means), then "confirm" files it through the core. "change" goes
// back to the case page with the answers in the form. A step the stage
// does not offer is refused as the core refuses it; one refused by a race
// shows the core's refusal next to its fields.
func (c *Console) myCaseStep(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getObjection", auth.Subject); err != nil {
		return err
	}
	no, step := ctx.Param("no"), ctx.Param("step")
	kind := caseKind(no)
	spec, ok := steps[kind][step]
	if !ok {
		return errNotFound
	}
	form := stepForm{Step: step, Statement: strings.TrimSpace(ctx.FormValue("statement")),
		Reason: strings.TrimSpace(ctx.FormValue("reason")), Grounds: strings.TrimSpace(ctx.FormValue("grounds"))}
	if spec.Files {
		mf, err := ctx.MultipartForm()
		if err != nil {
			return errBadForm
		}
		if form.Files, err = c.heldFiles(p, mf, "evidence"); err != nil {
			return err
		}
	}
	switch ctx.FormValue("confirm") {
	case "change":
		return c.showCase(ctx, p, no, form)
	case "yes":
		err := c.takeStep(ctx, p, kind, no, form)
		if err == nil {
			return ctx.Redirect(http.StatusSeeOther, "/my/cases/"+url.PathEscape(no)+"?done="+url.QueryEscape(kind+"."+step))
		}
		if !formRefused(p, err) {
			return err
		}
		return c.showCase(ctx, p, no, form)
	}
	// First post: the required answer, then "check your answers".
	if spec.Required != "" && form.value(spec.Required) == "" {
		p.Errors = append(p.Errors, fieldError{step + "-" + spec.Required, p.L.T("step.required." + spec.Required)})
	}
	if len(p.Errors) > 0 {
		return c.showCase(ctx, p, no, form)
	}
	actions, err := c.caseActions(ctx, p, kind, no)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(actions, func(a casework.Action) bool { return a.Name == step })
	if i < 0 {
		// No longer open (the stage moved on): the case page says what is.
		p.Problem = p.L.T("step.gone")
		return c.showCase(ctx, p, no, stepForm{})
	}
	p.Nav, p.Title = "/my/cases", p.L.T("page.step-check")
	return c.render(ctx, p, http.StatusOK, "step-check", stepCheckView{No: no, Kind: kind, Base: "/my/cases/" + url.PathEscape(no),
		Action: actions[i], Spec: spec, Form: form})
}

// Field is the field name of step's form, its element id prefixed with
// the step (a case page holds several steps' forms), its value the
// reader's when the form came back for this step.
func (f stepForm) Field(p *page, step, name, label, hint string) fieldView {
	v := fieldView{P: p, ID: step + "-" + name, Name: name, Label: label, Hint: hint, Type: "text"}
	if f.Step == step {
		v.Value = f.value(name)
	}
	v.Err = p.Err(v.ID)
	var ids []string
	if hint != "" {
		ids = append(ids, v.ID+"-hint")
	}
	if v.Err != "" {
		ids = append(ids, v.ID+"-error")
	}
	v.Described = strings.Join(ids, " ")
	return v
}

func (f stepForm) value(field string) string {
	switch field {
	case "statement":
		return f.Statement
	case "reason":
		return f.Reason
	case "grounds":
		return f.Grounds
	}
	return ""
}

// caseActions are the steps the reader may take on case no now.
func (c *Console) caseActions(ctx echo.Context, p *page, kind, no string) ([]casework.Action, error) {
	rc := ctx.Request().Context()
	switch kind {
	case "objection":
		return c.App.Casework.ObjectionActions(rc, actor(p), no)
	case "repair":
		d, err := c.App.Casework.Repair(rc, actor(p), no)
		return d.Actions, err
	case "listing":
		d, err := c.App.Casework.Listing(rc, actor(p), no)
		return d.Actions, err
	}
	return nil, errNotFound
}

// takeStep files the step through the core.
func (c *Console) takeStep(ctx echo.Context, p *page, kind, no string, f stepForm) error {
	rc, a := ctx.Request().Context(), actor(p)
	var err error
	switch kind + "." + f.Step {
	case "objection.supplement":
		err = c.supplementObjection(ctx, p, no, f)
	case "objection.withdraw":
		_, err = c.App.Casework.WithdrawObjection(rc, a, no, workflowsWithdraw(f))
	case "objection.appeal":
		_, err = c.App.Casework.AppealObjection(rc, a, no, appealInput(f))
	case "objection.hand-over":
		_, err = c.App.Casework.HandOverObjection(rc, a, no, workflows.HandOverInput{Reasons: f.Reason})
	case "repair.supplement":
		_, err = c.App.Casework.SupplementRepair(rc, a, no, casework.SupplementRepair{Statement: f.Statement, Evidence: uploads(f.Files)})
	case "repair.withdraw":
		_, err = c.App.Casework.WithdrawRepair(rc, a, no, workflowsWithdraw(f))
	case "listing.statements":
		_, err = c.App.Casework.SubmitListingStatement(rc, a, no, statementInput(f))
	case "listing.hearing-request":
		_, err = c.App.Casework.RequestListingHearing(rc, a, no, hearingRequest(f))
	case "listing.waiver":
		_, err = c.App.Casework.WaiveListingRepresentation(rc, a, no, waiveInput(f))
	default:
		return errNotFound
	}
	return err
}

// caseDocument serves a letter of the case (PDF, or HTML with ?format=html)
// through the core, which checks that the reader may read it and audits
// the download.
func (c *Console) caseDocument(ctx echo.Context, p *page) error {
	if p.Account == nil {
		return errLogin
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	format := ctx.QueryParam("format")
	if format == "" {
		format = "pdf"
	}
	rc, a, no := ctx.Request().Context(), actor(p), ctx.Param("no")
	var f casework.File
	switch caseKind(no) {
	case "objection":
		f, err = c.App.Casework.ObjectionDocument(rc, a, no, id, format)
	case "repair":
		f, err = c.App.Casework.RepairDocument(rc, a, no, id, format)
	case "listing":
		f, err = c.App.Casework.ListingDocument(rc, a, no, id, format)
	default:
		return errNotFound
	}
	if err != nil {
		return err
	}
	return sendFile(ctx, f)
}

// caseEvidenceFile serves a file filed with a case: an objection's
// evidence, or a repair application's evidence and signed commitment.
func (c *Console) caseEvidenceFile(ctx echo.Context, p *page) error {
	if p.Account == nil {
		return errLogin
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	rc, no := ctx.Request().Context(), ctx.Param("no")
	var f casework.File
	switch caseKind(no) {
	case "objection":
		f, err = c.App.Casework.ObjectionEvidenceFile(rc, actor(p), no, id)
	case "repair":
		f, err = c.App.Casework.RepairEvidenceFile(rc, actor(p), no, id)
	default:
		return errNotFound
	}
	if err != nil {
		return err
	}
	return sendFile(ctx, f)
}
