package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/workflows"
)

func (c *Console) routesStaffCases(get, post func(string, handler)) {
	get("/cases/:no", c.staffCase)
	post("/cases/:no/:step", c.staffCaseStep)
	get("/cases/:no/documents/:id", c.staffCaseDocument)
	get("/cases/:no/evidence/:id", c.staffCaseEvidence)
}

// staffRoles are the roles that work on cases from the staff pages.
var staffRoles = []auth.Role{auth.Caseworker, auth.Supervisor, auth.Provider}

// staffCaseView is a case as its staff page shows it, whatever its kind.
type staffCaseView struct {
	Kind, No, Base string
	Stage, Status  string
	Outcome        string
	// StatusKey is the catalogue key of a status worth a tag beside the
	// stage (closed, withdrawn, listed…; "" while the case runs).
	StatusKey string
	Profile   string
	OpenedAt  time.Time
	Paused    bool
	// Live is false when the engine did not answer: the page shows the
	// projection, and the steps offered follow the stage on file.
	Live bool
	// Lost is when the reconciler found the case's workflow gone while the
	// case was not finished (nil: it was not).
	Lost *time.Time

	Obj *casework.ObjectionDetail
	Rep *casework.RepairDetail
	Lst *casework.ListingDetail

	Records   []recordView
	Pending   []deadlineView
	Settled   []deadlineView
	Next      *deadlineView
	Events    []casework.CaseEvent
	Documents []documents.Meta
	Evidence  []evidence.Meta

	Actions   map[string]*casework.Action
	HasAction bool
	// Form holds what the reader posted to a refused step, Step its name.
	Form url.Values
	Step string

	// objection
	// Appeal is the applicant's latest appeal grounds while one waits.
	Appeal      string
	Missing     []string
	Finding     string
	Corrections []correctionRow
	// listing
	Points       []pointView
	Unanswered   []pointView
	Measures     []option
	PeriodUnits  []option
	ServiceTypes []option
	// repair
	PendingObjections []casework.RepairObjection
	// what was filed or proposed: the statement or reasons, the grounds
	// (objection) or legal basis (listing)
	Filed filedView
	Reply *replyView
}

// replyView is the provider's latest verification result of an
// objection: its finding, reasons, the correction it proposes (each field
// from its current value) and its evidence.
type replyView struct {
	At       time.Time
	By       string
	Finding  string
	Reasons  string
	Changes  []fieldChange
	Evidence []string
}

// replyOf reads the provider's latest reply from the events; each field
// it proposes to change is shown from its value when the provider replied
// (the version then current), so a correction already made still reads
// old → new.
func replyOf(events []casework.CaseEvent, rec recordView) *replyView {
	var out *replyView
	for _, e := range events {
		if e.Action != "objection.provider_replied" {
			continue
		}
		var data struct {
			Finding    string         `json:"finding"`
			Correction map[string]any `json:"correction"`
			Evidence   []string       `json:"evidence"`
		}
		_ = json.Unmarshal(e.Data, &data)
		r := &replyView{At: e.At, By: e.Actor, Finding: data.Finding, Reasons: e.Reason, Evidence: data.Evidence}
		then := map[string]string{}
		for _, r := range correctionRows(rec.Record) {
			then[r.Field] = r.Current
		}
		// versions are newest first: the first written before the reply
		for _, v := range rec.Versions {
			if !v.WrittenAt.After(e.At) {
				for _, f := range activities.CorrectableFields {
					then[f] = plain(v.Snapshot[f])
				}
				break
			}
		}
		for _, f := range activities.CorrectableFields {
			if v, ok := data.Correction[f]; ok {
				r.Changes = append(r.Changes, fieldChange{Field: f, From: then[f], To: plain(v)})
			}
		}
		out = r
	}
	return out
}

type filedView struct {
	At        time.Time
	Statement string
	Grounds   []string
	Basis     []string
}

// filedOf reads what opened the case from its first event.
func filedOf(events []casework.CaseEvent) filedView {
	for _, e := range events {
		switch e.Action {
		case "objection.filed", "repair.filed", "listing.proposed":
			var data struct {
				Grounds    []string `json:"grounds"`
				LegalBasis []string `json:"legal_basis"`
			}
			_ = json.Unmarshal(e.Data, &data)
			return filedView{At: e.At, Statement: e.Reason, Grounds: data.Grounds, Basis: data.LegalBasis}
		}
	}
	return filedView{}
}

// recordView is a record with its versions, newest first.
type recordView struct {
	records.Record
	Versions []versionView
}

type versionView struct {
	records.Version
	Changes []fieldChange
}

type fieldChange struct {
	Field, From, To string
}

// correctionRow is one field a correction may change: its current value
// and the choices of an enumerated field.
type correctionRow struct {
	Field   string
	Current string
	// CurrentKey is the catalogue key of an enumerated field's current
	// value (it is shown in words).
	CurrentKey string
	Options    []option
	Date       bool
}

type pointView struct {
	workflows.Point
	Index int
}

func (c *Console) staffCase(ctx echo.Context, p *page) error {
	if p.Account != nil && p.Account.Role == auth.Subject {
		return ctx.Redirect(http.StatusSeeOther, "/my/cases/"+url.PathEscape(ctx.Param("no")))
	}
	if _, err := c.require(ctx, p, "getCase", staffRoles...); err != nil {
		return err
	}
	v, err := c.staffCaseView(ctx, p, ctx.Param("no"))
	if err != nil {
		return err
	}
	if done := ctx.QueryParam("done"); done != "" && known("done."+done) {
		p.Notice = p.L.T("done." + done)
	}
	return c.render(ctx, p, http.StatusOK, "staff-case", v)
}

func (c *Console) staffCaseView(ctx echo.Context, p *page, no string) (staffCaseView, error) {
	kind := caseKind(no)
	if kind == "" {
		return staffCaseView{}, errNotFound
	}
	rc := ctx.Request().Context()
	a := actor(p)
	v := staffCaseView{Kind: kind, Actions: map[string]*casework.Action{}}
	var deadlines []casework.Deadline
	var actions []casework.Action
	var recordIDs []int64
	switch kind {
	case workflows.CaseKindObjection:
		d, err := c.App.Casework.Objection(rc, a, no)
		if err != nil {
			return v, err
		}
		v.Obj = &d
		v.No, v.Stage, v.Status, v.Outcome, v.Profile, v.OpenedAt = d.Case.CaseNo, d.Case.Stage, d.Case.Status, d.Case.Outcome, d.Case.ProfileID, d.Case.OpenedAt
		v.Lost = d.Case.WorkflowLost
		if d.Live != nil {
			v.Live, v.Paused, v.Stage, v.Missing, v.Finding = true, d.Live.Paused, d.Live.Stage, d.Live.Missing, d.Live.Finding
			if d.Live.Outcome != "" {
				v.Outcome = d.Live.Outcome
			}
		}
		deadlines, actions, v.Events, v.Documents, v.Evidence = d.Deadlines, d.Actions, d.Events, d.Documents, d.Evidence
		recordIDs = []int64{d.Case.RecordID}
	case workflows.CaseKindRepair:
		d, err := c.App.Casework.Repair(rc, a, no)
		if err != nil {
			return v, err
		}
		v.Rep = &d
		v.No, v.Stage, v.Status, v.Outcome, v.Profile, v.OpenedAt = d.Case.CaseNo, d.Case.Stage, d.Case.Status, d.Case.Outcome, d.Case.ProfileID, d.Case.OpenedAt
		if d.Live != nil {
			v.Live, v.Paused, v.Stage, v.Missing = true, d.Live.Paused, d.Live.Stage, d.Live.Missing
			if d.Live.Outcome != "" {
				v.Outcome = d.Live.Outcome
			}
		}
		deadlines, actions, v.Events, v.Documents, v.Evidence = d.Deadlines, d.Actions, d.Events, d.Documents, d.Evidence
		for _, o := range d.Objections {
			if o.Status == workflows.PublicObjectionPending || o.Status == "received" {
				v.PendingObjections = append(v.PendingObjections, o)
			}
		}
		recordIDs = []int64{d.Case.RecordID}
	case workflows.CaseKindListing:
		d, err := c.App.Casework.Listing(rc, a, no)
		if err != nil {
			return v, err
		}
		v.Lst = &d
		v.No, v.Stage, v.Status, v.Profile, v.OpenedAt = d.Listing.ProposalNo, d.Listing.Stage, d.Listing.Status, d.Listing.ProfileID, d.Listing.ProposedAt
		if d.State != nil {
			v.Live, v.Paused, v.Stage, v.Outcome = true, d.State.Paused, d.State.Stage, d.State.Outcome
			for i, pt := range d.State.Points {
				pv := pointView{Point: pt, Index: i}
				v.Points = append(v.Points, pv)
				if pt.Answer == nil {
					pv.Index = len(v.Unanswered)
					v.Unanswered = append(v.Unanswered, pv)
				}
			}
		}
		deadlines, actions, v.Events, v.Documents = d.Deadlines, d.Actions, d.Events, d.Documents
		recordIDs = d.Listing.RecordIDs
		proposed := d.Listing.Measures
		if d.State != nil && len(d.State.ProposedMeasures) > 0 {
			proposed = d.State.ProposedMeasures
		}
		for _, m := range sortedMeasures() {
			v.Measures = append(v.Measures, option{Value: m, Text: activities.MeasureText(m), Selected: slices.Contains(proposed, m)})
		}
		unit := "year"
		if d.State != nil && d.State.ProposedPeriod.Unit != "" {
			unit = d.State.ProposedPeriod.Unit
		}
		v.PeriodUnits = options(unit, []string{"year", "month"}, "periodunit")
		v.ServiceTypes = options("", []string{workflows.ServiceInPerson, workflows.ServicePost, workflows.ServiceElectronic, workflows.ServiceAnnouncement}, "service")
	}
	v.Base = caseHref(v.No)
	switch {
	case kind == workflows.CaseKindListing && v.Status != "proposed" && v.Status != "noticed" && known("lstatus."+v.Status):
		v.StatusKey = "lstatus." + v.Status
	case kind != workflows.CaseKindListing && v.Status != workflows.StatusOpen && known("casestatus."+v.Status):
		v.StatusKey = "casestatus." + v.Status
	}
	v.Filed = filedOf(v.Events)
	var err error
	if v.Records, err = c.caseRecords(rc, p, v.No, recordIDs); err != nil {
		return v, err
	}
	views := make([]deadlineView, 0, len(deadlines))
	for _, d := range deadlines {
		views = append(views, c.staffDeadline(d, v.Profile))
	}
	v.Pending, v.Settled = pendingFirst(views)
	v.Pending, v.Settled = withPrevious(v.Pending, v.Settled)
	if len(v.Pending) > 0 {
		v.Next = &v.Pending[0]
	}
	for i := range actions {
		v.Actions[actions[i].Name] = &actions[i]
		v.HasAction = true
	}
	if len(v.Records) > 0 {
		v.Corrections = correctionRows(v.Records[0].Record)
		if kind == workflows.CaseKindObjection {
			v.Reply = replyOf(v.Events, v.Records[0])
		}
	}
	if v.Stage == workflows.StageAppeal {
		v.Appeal, _, _ = appealOf(v.Events)
	}
	p.Title = p.L.T("page.staff-case", v.No)
	p.Nav = staffHome(p.Account.Role)
	return v, nil
}

func sortedMeasures() []string {
	out := make([]string, 0, len(activities.ListingMeasureNames))
	for m := range activities.ListingMeasureNames {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// withPrevious takes the superseded deadlines out of the settled list and
// hangs each on the deadline that replaced it (same rule, the next seq),
// so a recomputed or extended deadline shows its old and new due dates
// side by side.
func withPrevious(pending, settled []deadlineView) ([]deadlineView, []deadlineView) {
	var superseded, rest []deadlineView
	for _, d := range settled {
		if d.State == "superseded" {
			superseded = append(superseded, d)
		} else {
			rest = append(rest, d)
		}
	}
	attach := func(ds []deadlineView) {
		for i := range ds {
			for _, s := range superseded {
				if s.Rule == ds[i].Rule && s.Seq < ds[i].Seq {
					ds[i].Previous = append(ds[i].Previous, s)
				}
			}
			slices.SortFunc(ds[i].Previous, func(a, b deadlineView) int { return b.Seq - a.Seq })
		}
	}
	attach(pending)
	attach(rest)
	return pending, rest
}

// caseRecords reads the records a case is about with their versions; each
// read of a record that is not public is written to the query log with the
// case as its purpose, as every read of the API is.
func (c *Console) caseRecords(ctx context.Context, p *page, no string, ids []int64) ([]recordView, error) {
	var out []recordView
	var logged []int64
	for _, id := range ids {
		rec, err := c.records.Record(ctx, id)
		if errors.Is(err, records.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		vs, err := c.records.Versions(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, recordView{Record: rec, Versions: versionViews(vs)})
		if rec.Disclosure != records.Public {
			logged = append(logged, id)
		}
	}
	if err := audit.LogQueries(ctx, c.Pool, p.Account.Actor(), logged, "办理案件 "+no+" (case work)"); err != nil {
		return nil, err
	}
	return out, nil
}

// versionViews lists versions newest first, each with the fields it
// changed from the one before.
func versionViews(vs []records.Version) []versionView {
	out := make([]versionView, 0, len(vs))
	for i, v := range vs {
		vv := versionView{Version: v}
		if i > 0 {
			prev := vs[i-1].Snapshot
			for _, f := range activities.CorrectableFields {
				a, b := fmt.Sprint(prev[f]), fmt.Sprint(v.Snapshot[f])
				if a != b {
					vv.Changes = append(vv.Changes, fieldChange{Field: f, From: plain(prev[f]), To: plain(v.Snapshot[f])})
				}
			}
		}
		out = append(out, vv)
	}
	slices.Reverse(out)
	return out
}

func plain(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func correctionRows(r records.Record) []correctionRow {
	current := map[string]string{
		"title": r.Title, "content": r.Content, "decision_no": r.DecisionNo, "decided_on": r.DecidedOn.String(),
		"severity": r.Severity, "category": r.Category, "disclosure": r.Disclosure, "dishonesty_category": r.DishonestyCategory,
	}
	var out []correctionRow
	for _, f := range activities.CorrectableFields {
		row := correctionRow{Field: f, Current: current[f], Date: f == "decided_on"}
		if vals, ok := activities.CorrectableValues[f]; ok {
			prefix := map[string]string{"severity": "severity", "category": "category", "disclosure": "disclosure"}[f]
			row.Options = options("", vals, prefix)
			if prefix != "" && known(prefix+"."+row.Current) {
				row.CurrentKey = prefix + "." + row.Current
			}
		}
		out = append(out, row)
	}
	return out
}

// ---- steps ----

// staffCaseStep takes one step on the case from its form. A step the
// stage does not allow is not offered; one refused (by its input, or by a
// race with another step) shows the core's refusal on the case page, with
// what the reader typed.
func (c *Console) staffCaseStep(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getCase", staffRoles...); err != nil {
		return err
	}
	no, step := ctx.Param("no"), ctx.Param("step")
	kind := caseKind(no)
	if kind == "" {
		return errNotFound
	}
	form, err := c.readForm(ctx)
	if err != nil {
		return err
	}
	rc := ctx.Request().Context()
	a := actor(p)
	var local []fieldError
	fail := func(name, key string) { local = append(local, fieldError{Field: step + "-" + name, Msg: p.L.T(key)}) }
	switch kind {
	case workflows.CaseKindObjection:
		err = c.objectionStep(rc, ctx, a, no, step, form, fail)
	case workflows.CaseKindRepair:
		err = c.repairStep(rc, a, no, step, form, fail)
	case workflows.CaseKindListing:
		err = c.listingStep(rc, a, no, step, form, fail)
	}
	if errors.Is(err, errNotFound) {
		return err
	}
	if err == nil && len(local) == 0 {
		return ctx.Redirect(http.StatusSeeOther, caseHref(no)+"?done="+url.QueryEscape(step))
	}
	status := http.StatusUnprocessableEntity
	if len(local) > 0 {
		p.Errors = append(p.Errors, local...)
		p.Problem = p.L.T("form.fix")
	} else if !stepRefused(p, step, err) {
		return err
	} else {
		status = statusOf(err)
	}
	v, verr := c.staffCaseView(ctx, p, no)
	if verr != nil {
		return verr
	}
	v.Form, v.Step = form, step
	return c.render(ctx, p, status, "staff-case", v)
}

var errNoStep = &statusError{http.StatusNotFound, errorView{Heading: "error.404.title", Body: "error.404.body"}}

// stepRefused shows a refusal of the core on the step's form: each field
// next to its input (ids are the step's name and the field's, so two forms
// on one page never share one) and in the summary with what to do.
func stepRefused(p *page, step string, err error) bool {
	r, ok := refusal.As(err)
	if !ok || r.Status() >= 500 || r.Status() == http.StatusUnauthorized || r.Status() == http.StatusForbidden || r.Status() == http.StatusNotFound {
		return false
	}
	for _, f := range r.Fields {
		p.Errors = append(p.Errors, fieldError{Field: step + "-" + fieldID(f.Name), Msg: p.L.Pick(f.Message.ZH, f.Message.EN)})
	}
	title, detail := p.L.Pick(r.Title.ZH, r.Title.EN), p.L.Pick(r.Detail.ZH, r.Detail.EN)
	p.Problem = title
	if detail != "" {
		p.Problem = p.L.T("fmt.colon", title, detail)
	}
	return true
}

// fieldID is the element id part of a field as the core names it:
// answers[0].reasons → answers-0-reasons, correction.title →
// correction-title, evidence[1] → evidence.
func fieldID(name string) string {
	if strings.HasPrefix(name, "evidence[") || strings.HasPrefix(name, "file[") || name == "file" {
		return "evidence"
	}
	r := strings.NewReplacer("[", "-", "].", "-", "]", "", ".", "-")
	return r.Replace(name)
}

// readForm reads a posted form, multipart or not.
func (c *Console) readForm(ctx echo.Context) (url.Values, error) {
	if strings.HasPrefix(ctx.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		mf, err := ctx.MultipartForm()
		if err != nil {
			return nil, &statusError{http.StatusBadRequest, errorView{Heading: "error.400.title", Body: "error.400.body"}}
		}
		return url.Values(mf.Value), nil
	}
	f, err := ctx.FormParams()
	if err != nil {
		return nil, &statusError{http.StatusBadRequest, errorView{Heading: "error.400.title", Body: "error.400.body"}}
	}
	return f, nil
}

// uploads are the files posted in field name.
func (c *Console) uploads(ctx echo.Context, name string) ([]casework.Upload, error) {
	if !strings.HasPrefix(ctx.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		return nil, nil
	}
	mf, err := ctx.MultipartForm()
	if err != nil {
		return nil, err
	}
	var out []casework.Upload
	for i, h := range mf.File[name] {
		if h.Filename == "" {
			continue
		}
		fh, err := h.Open()
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(io.LimitReader(fh, c.App.Casework.EvidenceLimits().MaxFileSize+1))
		fh.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, casework.Upload{Field: fmt.Sprintf("file[%d]", i), Name: h.Filename, Data: raw})
	}
	return out, nil
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// correctionOf is the correction the form gives: the fields with a new
// value (correction.<field>).
func correctionOf(f url.Values) map[string]any {
	out := map[string]any{}
	for _, k := range activities.CorrectableFields {
		if v := strings.TrimSpace(f.Get("correction." + k)); v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// instant reads a date (and an optional time of day) given in Asia/Shanghai.
func instant(date, clock string) (time.Time, bool) {
	date, clock = strings.TrimSpace(date), strings.TrimSpace(clock)
	if date == "" {
		return time.Time{}, false
	}
	if clock == "" {
		clock = "00:00"
	}
	// a time input sends seconds when its value has them
	layout := "2006-01-02 15:04"
	if strings.Count(clock, ":") == 2 {
		layout += ":05"
	}
	t, err := time.ParseInLocation(layout, date+" "+clock, calendar.Shanghai)
	return t, err == nil
}

func (c *Console) objectionStep(rc context.Context, ctx echo.Context, a permission.Actor, no, step string, f url.Values, fail func(name, key string)) error {
	cw := c.App.Casework
	var err error
	switch step {
	case workflows.ObjectionAccept:
		_, err = cw.AcceptObjection(rc, a, no, workflows.AcceptInput{})
	case workflows.ObjectionRequestSupplement:
		missing := lines(f.Get("missing"))
		if len(missing) == 0 {
			fail("missing", "step.missing.required")
			return nil
		}
		_, err = cw.RequestObjectionSupplement(rc, a, no, workflows.SupplementRequest{Missing: missing})
	case workflows.ObjectionDecideOwnError:
		_, err = cw.DecideObjectionOwnError(rc, a, no, workflows.OwnErrorInput{Reason: f.Get("reason"), Correction: correctionOf(f)})
	case workflows.ObjectionForwardToProvider:
		_, err = cw.ForwardObjectionToProvider(rc, a, no, workflows.ForwardInput{Note: f.Get("note")})
	case workflows.ObjectionDecide:
		_, err = cw.DecideObjection(rc, a, no, workflows.DecisionInput{Outcome: f.Get("outcome"), Reasons: f.Get("reasons"), Correction: correctionOf(f)})
	case workflows.ObjectionPause:
		_, err = cw.PauseObjection(rc, a, no, workflows.PauseInput{Kind: f.Get("kind"), Reason: f.Get("reason"), Approver: f.Get("approver")})
	case workflows.ObjectionResume:
		_, err = cw.ResumeObjection(rc, a, no, workflows.ResumeInput{Reason: f.Get("reason")})
	case workflows.ObjectionExtend:
		_, err = cw.ExtendObjection(rc, a, no, workflows.ExtendInput{Reason: f.Get("reason"), Approver: f.Get("approver")})
	case workflows.ObjectionDecideAppeal:
		_, err = cw.DecideObjectionAppeal(rc, a, no, workflows.AppealDecisionInput{Decision: f.Get("decision"), Outcome: f.Get("outcome"),
			Reasons: f.Get("reasons"), Correction: correctionOf(f)})
	case workflows.ObjectionProviderReply:
		files, ferr := c.uploads(ctx, "evidence")
		if ferr != nil {
			return ferr
		}
		var names []string
		if len(files) > 0 {
			metas, uerr := cw.UploadObjectionEvidence(rc, a, no, files)
			if uerr != nil {
				return uerr
			}
			for _, m := range metas {
				names = append(names, m.Name)
			}
		}
		_, err = cw.ReplyToObjection(rc, a, no, workflows.ProviderReplyInput{Finding: f.Get("finding"), Reasons: f.Get("reasons"),
			Correction: correctionOf(f), Evidence: names})
	default:
		return errNoStep
	}
	return err
}

func (c *Console) repairStep(rc context.Context, a permission.Actor, no, step string, f url.Values, fail func(name, key string)) error {
	cw := c.App.Casework
	var err error
	switch step {
	case "accept":
		_, err = cw.AcceptRepair(rc, a, no, workflows.AcceptInput{})
	case "request-supplement":
		missing := lines(f.Get("missing"))
		if len(missing) == 0 {
			fail("missing", "step.missing.required")
			return nil
		}
		_, err = cw.RequestRepairSupplement(rc, a, no, workflows.SupplementRequest{Missing: missing})
	case "provider-opinion":
		agree, ok := yesNo(f.Get("agree"))
		if !ok {
			fail("agree", "step.choose")
			return nil
		}
		_, err = cw.GiveRepairOpinion(rc, a, no, workflows.OpinionInput{Agree: agree, Reasons: f.Get("reasons")})
	case "publish":
		_, err = cw.PublishRepair(rc, a, no, workflows.PublishInput{Proposal: f.Get("proposal")})
	case "verify-objection":
		id, perr := strconv.ParseInt(f.Get("objection_id"), 10, 64)
		upheld, ok := yesNo(f.Get("upheld"))
		if perr != nil || id <= 0 {
			fail("objection_id", "step.choose")
		}
		if !ok {
			fail("upheld", "step.choose")
		}
		if perr != nil || id <= 0 || !ok {
			return nil
		}
		_, err = cw.VerifyRepairObjection(rc, a, no, workflows.VerifyObjectionInput{ObjectionID: id, Upheld: upheld, Reasons: f.Get("reasons")})
	case "decide":
		approve, ok := yesNo(f.Get("approve"))
		if !ok {
			fail("approve", "step.choose")
			return nil
		}
		_, err = cw.DecideRepair(rc, a, no, workflows.RepairDecisionInput{Approve: approve, Reasons: f.Get("reasons")})
	default:
		return errNoStep
	}
	return err
}

func (c *Console) listingStep(rc context.Context, a permission.Actor, no, step string, f url.Values, fail func(name, key string)) error {
	cw := c.App.Casework
	var err error
	switch step {
	case "service":
		at, ok := instant(f.Get("served_on"), f.Get("served_time"))
		if !ok {
			fail("served_on", "step.date.required")
			return nil
		}
		_, err = cw.RecordListingService(rc, a, no, workflows.ServiceInput{Method: f.Get("method"), ServedAt: at, Note: f.Get("note")})
	case "hearing":
		at, ok := instant(f.Get("at_date"), f.Get("at_time"))
		if !ok {
			fail("at_date", "step.date.required")
			return nil
		}
		in := workflows.HearingSchedule{At: at, Place: f.Get("place")}
		if f.Get("notified_on") != "" {
			n, ok := instant(f.Get("notified_on"), "")
			if !ok {
				fail("notified_on", "step.date.invalid")
				return nil
			}
			in.NotifiedAt = n
		}
		_, err = cw.ScheduleListingHearing(rc, a, no, in)
	case "hearing-record":
		in := workflows.HearingRecord{Summary: f.Get("summary"), Points: lines(f.Get("points"))}
		if f.Get("held_on") != "" {
			t, ok := instant(f.Get("held_on"), f.Get("held_time"))
			if !ok {
				fail("held_on", "step.date.invalid")
				return nil
			}
			in.HeldAt = t
		}
		_, err = cw.RecordListingHearing(rc, a, no, in)
	case "answers":
		var in workflows.AnswerInput
		for i := 0; ; i++ {
			key := fmt.Sprintf("answers[%d]", i)
			id := f.Get(key + ".point_id")
			if id == "" {
				break
			}
			adopted, ok := yesNo(f.Get(key + ".adopted"))
			if !ok {
				fail(fieldID(key+".adopted"), "step.choose")
			}
			in.Answers = append(in.Answers, workflows.Answer{PointID: id, Adopted: adopted, Reasons: f.Get(key + ".reasons")})
		}
		_, err = cw.AnswerListingPoints(rc, a, no, in)
	case "decision":
		list, ok := yesNo(f.Get("list"))
		if !ok {
			fail("list", "step.choose")
			return nil
		}
		in := workflows.ListingDecision{List: list, Reasons: f.Get("reasons"), JointPunishment: f.Get("joint_punishment") == "1"}
		if list {
			in.Measures = f["measures"]
			n, perr := strconv.Atoi(strings.TrimSpace(f.Get("period_length")))
			if perr != nil {
				fail("period_length", "step.number")
				return nil
			}
			in.Period = workflows.ListingPeriod{Length: n, Unit: f.Get("period_unit")}
		}
		_, err = cw.DecideListing(rc, a, no, in)
	case "removal":
		_, err = cw.RemoveListing(rc, a, no, workflows.RemoveInput{Reason: f.Get("reason")})
	case "basis-revocation":
		in := workflows.RevokeBasisInput{Reason: f.Get("reason"), Instrument: f.Get("instrument")}
		t, ok := instant(f.Get("revoked_on"), "")
		if !ok {
			fail("revoked_on", "step.date.required")
			return nil
		}
		in.RevokedAt = t
		if f.Get("learned_on") != "" {
			l, ok := instant(f.Get("learned_on"), "")
			if !ok {
				fail("learned_on", "step.date.invalid")
				return nil
			}
			in.LearnedAt = l
		}
		_, err = cw.RevokeListingBasis(rc, a, no, in)
	case "withdrawal":
		_, err = cw.WithdrawListingProposal(rc, a, no, workflows.WithdrawProposalInput{Reasons: f.Get("reasons")})
	default:
		return errNoStep
	}
	return err
}

// yesNo reads a yes/no radio group ("1"/"0").
func yesNo(v string) (bool, bool) {
	switch v {
	case "1":
		return true, true
	case "0":
		return false, true
	}
	return false, false
}

// ---- downloads ----

func (c *Console) staffCaseDocument(ctx echo.Context, p *page) error {
	if p.Account == nil {
		return errLogin
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	no := ctx.Param("no")
	kind := caseKind(no)
	if kind == "" {
		return errNotFound
	}
	format := ctx.QueryParam("format")
	rc := ctx.Request().Context()
	var f casework.File
	switch kind {
	case workflows.CaseKindObjection:
		f, err = c.App.Casework.ObjectionDocument(rc, actor(p), no, id, format)
	case workflows.CaseKindRepair:
		f, err = c.App.Casework.RepairDocument(rc, actor(p), no, id, format)
	case workflows.CaseKindListing:
		f, err = c.App.Casework.ListingDocument(rc, actor(p), no, id, format)
	}
	if err != nil {
		return err
	}
	return sendFile(ctx, f)
}

func (c *Console) staffCaseEvidence(ctx echo.Context, p *page) error {
	if p.Account == nil {
		return errLogin
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	no := ctx.Param("no")
	if caseKind(no) != workflows.CaseKindObjection {
		return errNotFound
	}
	f, err := c.App.Casework.ObjectionEvidenceFile(ctx.Request().Context(), actor(p), no, id)
	if err != nil {
		return err
	}
	return sendFile(ctx, f)
}

// correctionsView is the correction fieldset of one step's form.
// correctionHolder is a page's data with a correction form.
type correctionHolder interface {
	formHolder
	corrections() []correctionRow
}

func (v staffCaseView) corrections() []correctionRow { return v.Corrections }

type correctionsView struct {
	P    *page
	Step string
	Err  string
	Rows []correctionField
}

type correctionField struct {
	correctionRow
	Value string
	Err   string
}

type versionsView struct {
	P        *page
	Versions []versionView
}

func init() {
	funcs["corr"] = func(p *page, step string) correctionsView {
		out := correctionsView{P: p, Step: step, Err: p.Err(step + "-correction")}
		v, _ := p.D.(correctionHolder)
		if v == nil {
			return out
		}
		for _, r := range v.corrections() {
			f := correctionField{correctionRow: r, Err: p.Err(step + "-correction-" + r.Field)}
			f.Value, _ = v.posted(step, "correction."+r.Field)
			if len(r.Options) > 0 {
				opts := make([]option, len(r.Options))
				for i, o := range r.Options {
					o.Selected = o.Value == f.Value
					opts[i] = o
				}
				f.Options = opts
			}
			out.Rows = append(out.Rows, f)
		}
		return out
	}
	funcs["pobjopts"] = func(p *page) []option {
		v, _ := p.D.(staffCaseView)
		var out []option
		for _, o := range v.PendingObjections {
			out = append(out, option{Value: strconv.FormatInt(o.ID, 10), Text: p.L.T("staff.pobjection.choice", o.ID, o.Grounds)})
		}
		return out
	}
	funcs["listlen"] = func(p *page) string {
		v, _ := p.D.(staffCaseView)
		if v.Lst != nil && v.Lst.State != nil && v.Lst.State.ProposedPeriod.Length > 0 {
			return strconv.Itoa(v.Lst.State.ProposedPeriod.Length)
		}
		return ""
	}
	funcs["measure"] = activities.MeasureText
	funcs["dreason"] = deadlineReason
	// vreason is why a version was written: a reason the system writes
	// (e.g. intake) in words, a person's reason as they wrote it.
	funcs["vreason"] = func(p *page, reason string) string {
		if known("vreason." + reason) {
			return p.L.T("vreason." + reason)
		}
		return reason
	}
	funcs["versp"] = func(p *page, vs []versionView) versionsView { return versionsView{P: p, Versions: vs} }
}

// deadlineReason is why a deadline was replaced or settled, in the
// reader's language: the reasons the workflows write (a pause of the
// clock, a calendar change, a lapse) in words; a person's reason (an
// extension's) as written.
func deadlineReason(p *page, reason string) string {
	if span, ok := strings.CutPrefix(reason, "clock paused "); ok {
		if from, to, ok := strings.Cut(span, ".."); ok {
			f, ferr := calendar.ParseDate(from)
			t, terr := calendar.ParseDate(to)
			if ferr == nil && terr == nil {
				return p.L.T("dreason.paused", p.L.Date(f), p.L.Date(t))
			}
		}
	}
	if note, ok := strings.CutPrefix(reason, "calendar changed: "); ok {
		return p.L.T("dreason.calendar", note)
	}
	// A recount after an import names the calendar revision:
	// "calendar changed (revision 2): <the import's reason>".
	if rest, ok := strings.CutPrefix(reason, "calendar changed (revision "); ok {
		if rev, note, ok := strings.Cut(rest, "): "); ok {
			if n, err := strconv.Atoi(rev); err == nil {
				return p.L.T("dreason.calendar.revision", n, note)
			}
		}
	}
	if known("dreason." + reason) {
		return p.L.T("dreason." + reason)
	}
	return reason
}
