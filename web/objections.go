package web

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/workflows"
)

// objectionGrounds are the grounds of an objection the regulations name
// (DESIGN.md §2.1): the key of each label, and the Chinese text filed (the
// grounds are part of the legal record and appear in the letters).
var objectionGrounds = []struct{ key, filed string }{
	{"ground.error", "信息记载错误或者遗漏"},
	{"ground.secret", "侵犯商业秘密或者个人隐私"},
	{"ground.listing", "错误列入或者未按规定移出失信名单"},
	{"ground.period", "超过公开期限仍在公开"},
	{"ground.law", "依照法律法规不得公开"},
	{"ground.prohibited", "采集了禁止采集的个人信息"},
	{"ground.expired", "超过有效期仍被使用的失信信息"},
}

// objectionForm is the filing as the reader fills it in: the form page,
// "check your answers" and the submission carry the same fields.
type objectionForm struct {
	Record    records.Record
	Grounds   []string // filed texts of the grounds chosen
	Other     string   // a ground in the reader's words
	Statement string
	Files     []heldFile
	Choices   []groundChoice
}

type groundChoice struct {
	Key, Filed string
	Checked    bool
	ID         string
}

// heldFile is an evidence file carried from the form to the check page
// and back (base64 in a hidden field), so nothing is stored before the
// reader confirms.
type heldFile struct {
	Name string
	Size int
	Data string // base64
}

func (c *Console) routesObjections(get, post func(string, handler)) {
	get("/my/records/:id/objection", c.objectionForm)
	post("/my/records/:id/objection", c.objectionPost)
	get("/my/cases", c.myCases)
	get("/my/cases/:no", c.myCase)
	post("/my/cases/:no/:step", c.myCaseStep)
	get("/my/cases/:no/documents/:id", c.caseDocument)
	get("/my/cases/:no/evidence/:id", c.caseEvidenceFile)
}

// ownRecord reads one of the subject's records: another's answers 404, as
// the API answers it.
func (c *Console) ownRecord(ctx echo.Context, p *page) (auth.Account, records.Record, error) {
	a, err := c.require(ctx, p, "fileObjection", auth.Subject)
	if err != nil {
		return a, records.Record{}, err
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return a, records.Record{}, errNotFound
	}
	rec, err := c.records.Record(ctx.Request().Context(), id)
	if err != nil && err != records.ErrNotFound {
		return a, rec, err
	}
	if err != nil || rec.SubjectID != a.SubjectID {
		return a, rec, c.deny(ctx, p, http.StatusNotFound, "record", strconv.FormatInt(id, 10))
	}
	return a, rec, nil
}

func (f *objectionForm) choices() {
	f.Choices = nil
	for i, g := range objectionGrounds {
		f.Choices = append(f.Choices, groundChoice{Key: g.key, Filed: g.filed, Checked: slices.Contains(f.Grounds, g.filed),
			ID: fmt.Sprintf("grounds-%d", i)})
	}
}

func (c *Console) objectionForm(ctx echo.Context, p *page) error {
	_, rec, err := c.ownRecord(ctx, p)
	if err != nil {
		return err
	}
	p.Nav = "/my/records"
	f := objectionForm{Record: rec}
	f.choices()
	return c.render(ctx, p, http.StatusOK, "objection-form", f)
}

// readObjectionForm reads the posted fields and files (new uploads, or the
// files held by the check page).
func (c *Console) readObjectionForm(ctx echo.Context, p *page, rec records.Record) (objectionForm, error) {
	f := objectionForm{Record: rec, Other: strings.TrimSpace(ctx.FormValue("other")), Statement: strings.TrimSpace(ctx.FormValue("statement"))}
	form, err := ctx.MultipartForm()
	if err != nil {
		return f, &statusError{http.StatusBadRequest, errorView{Heading: "error.400.title", Body: "error.400.body"}}
	}
	for _, g := range form.Value["grounds"] {
		for _, known := range objectionGrounds {
			if g == known.filed && !slices.Contains(f.Grounds, g) {
				f.Grounds = append(f.Grounds, g)
			}
		}
	}
	names, datas := form.Value["held_name"], form.Value["held_data"]
	for i := range names {
		if i < len(datas) {
			raw, err := base64.StdEncoding.DecodeString(datas[i])
			if err == nil {
				f.Files = append(f.Files, heldFile{Name: names[i], Size: len(raw), Data: datas[i]})
			}
		}
	}
	for i, h := range form.File["evidence"] {
		if h.Filename == "" {
			continue
		}
		fh, err := h.Open()
		if err != nil {
			return f, err
		}
		raw, err := io.ReadAll(io.LimitReader(fh, c.App.Casework.EvidenceLimits().MaxFileSize+1))
		fh.Close()
		if err != nil {
			return f, err
		}
		// The core's own file check (type by content, size), so that the
		// check page never shows a file the filing would refuse.
		if _, err := evidence.Check(h.Filename, raw, c.App.Casework.EvidenceLimits()); err != nil {
			if e, ok := evidence.AsError(err); ok {
				p.Errors = append(p.Errors, fieldError{"evidence", p.L.T("objection.file.refused", h.Filename, p.L.Pick(e.Zh, e.En))})
				continue
			}
			return f, err
		}
		_ = i
		f.Files = append(f.Files, heldFile{Name: h.Filename, Size: len(raw), Data: base64.StdEncoding.EncodeToString(raw)})
	}
	f.choices()
	return f, nil
}

// objectionPost handles the filing's two posts: "check" shows the answers
// to confirm, "submit" files the objection through the core and opens the
// case page.
func (c *Console) objectionPost(ctx echo.Context, p *page) error {
	a, rec, err := c.ownRecord(ctx, p)
	if err != nil {
		return err
	}
	p.Nav = "/my/records"
	f, err := c.readObjectionForm(ctx, p, rec)
	if err != nil {
		return err
	}
	grounds := append(slices.Clone(f.Grounds), nonEmpty(f.Other)...)
	if len(grounds) == 0 {
		p.Errors = append(p.Errors, fieldError{"grounds-0", p.L.T("objection.grounds.required")})
	}
	if f.Statement == "" {
		p.Errors = append(p.Errors, fieldError{"statement", p.L.T("objection.statement.required")})
	}
	if len(p.Errors) > 0 || ctx.FormValue("step") == "change" {
		return c.render(ctx, p, statusFor(p), "objection-form", f)
	}
	if ctx.FormValue("step") != "submit" {
		p.Title = p.L.T("page.objection-check")
		return c.render(ctx, p, http.StatusOK, "objection-check", f)
	}
	in := casework.FileObjection{RecordID: rec.ID, Grounds: grounds, Statement: f.Statement}
	for i, h := range f.Files {
		raw, _ := base64.StdEncoding.DecodeString(h.Data)
		in.Evidence = append(in.Evidence, casework.Upload{Field: fmt.Sprintf("file[%d]", i), Name: h.Name, Data: raw})
	}
	filed, err := c.App.Casework.FileObjection(ctx.Request().Context(), actor(p), in)
	if err != nil {
		if formRefused(p, err) {
			return c.render(ctx, p, statusOf(err), "objection-form", f)
		}
		return err
	}
	_ = a
	return ctx.Redirect(http.StatusSeeOther, "/my/cases/"+url.PathEscape(filed.Case.CaseNo)+"?done=filed")
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func statusFor(p *page) int {
	if len(p.Errors) > 0 {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

// ---- the subject's cases ----

type caseRow struct {
	casework.CaseSummary
	Next *deadlineView
}

type myCasesView struct {
	Cases []caseRow
}

// myCases lists the subject's objection cases, soonest deadline first.
func (c *Console) myCases(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listObjections", auth.Subject); err != nil {
		return err
	}
	p.Nav = "/my/cases"
	page, err := c.App.Casework.ListObjections(ctx.Request().Context(), actor(p), casework.ObjectionFilter{Limit: 200})
	if err != nil {
		return err
	}
	v := myCasesView{}
	for _, cs := range page.Cases {
		row := caseRow{CaseSummary: cs}
		if cs.NextDeadline != nil {
			d := c.deadline(*cs.NextDeadline, cs.ProfileID)
			row.Next = &d
		}
		v.Cases = append(v.Cases, row)
	}
	return c.render(ctx, p, http.StatusOK, "my-cases", v)
}

// caseView is a case page.
type caseView struct {
	Detail    casework.ObjectionDetail
	Record    records.Record
	Pending   []deadlineView
	Settled   []deadlineView
	Next      *deadlineView
	Missing   []string
	Actions   map[string]*casework.Action // by step name; absent: not open to the reader now
	Base      string                      // the case page's path
	Form      stepForm
	HasAction bool
}

// stepForm keeps what the reader typed into a step's form when it is
// refused.
type stepForm struct {
	Step      string
	Statement string
	Reason    string
	Grounds   string
	Reasons   string
}

func (c *Console) myCase(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getObjection", auth.Subject); err != nil {
		return err
	}
	v, err := c.caseView(ctx, p)
	if err != nil {
		return err
	}
	switch ctx.QueryParam("done") {
	case "filed":
		p.Notice = p.L.T("case.done.filed", v.Detail.Case.CaseNo)
	case "":
	default:
		if step := ctx.QueryParam("done"); known("case.done." + step) {
			p.Notice = p.L.T("case.done." + step)
		}
	}
	return c.render(ctx, p, http.StatusOK, "my-case", v)
}

func (c *Console) caseView(ctx echo.Context, p *page) (caseView, error) {
	p.Nav = "/my/cases"
	no := ctx.Param("no")
	rc := ctx.Request().Context()
	d, err := c.App.Casework.Objection(rc, actor(p), no)
	if err != nil {
		return caseView{}, err
	}
	v := caseView{Detail: d, Actions: map[string]*casework.Action{}, Base: "/my/cases/" + url.PathEscape(d.Case.CaseNo)}
	if rec, err := c.records.Record(rc, d.Case.RecordID); err == nil {
		v.Record = rec
	}
	v.Pending, v.Settled = pendingFirst(c.deadlines(d.Deadlines, d.Case.ProfileID))
	if len(v.Pending) > 0 {
		v.Next = &v.Pending[0]
	}
	if d.Live != nil {
		v.Missing = d.Live.Missing
	}
	for i := range d.Actions {
		v.Actions[d.Actions[i].Name] = &d.Actions[i]
		v.HasAction = true
	}
	p.Title = p.L.T("page.my-case", d.Case.CaseNo)
	return v, nil
}

// myCaseStep takes one of the subject's steps on the case: supplement
// (statement and files), withdraw, appeal, hand-over. A step the stage does not allow
// is not offered; one refused by a race shows the core's refusal.
func (c *Console) myCaseStep(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getObjection", auth.Subject); err != nil {
		return err
	}
	no := ctx.Param("no")
	rc := ctx.Request().Context()
	step := ctx.Param("step")
	form := stepForm{Step: step, Statement: strings.TrimSpace(ctx.FormValue("statement")),
		Reason: strings.TrimSpace(ctx.FormValue("reason")), Grounds: strings.TrimSpace(ctx.FormValue("grounds")),
		Reasons: strings.TrimSpace(ctx.FormValue("reasons"))}
	var err error
	switch step {
	case workflows.ObjectionSupplement:
		err = c.supplement(ctx, p, no, form)
	case workflows.ObjectionWithdraw:
		_, err = c.App.Casework.WithdrawObjection(rc, actor(p), no, workflows.WithdrawInput{Reason: form.Reason})
	case workflows.ObjectionAppeal:
		_, err = c.App.Casework.AppealObjection(rc, actor(p), no, workflows.AppealInput{Grounds: form.Grounds})
	case workflows.ObjectionHandOver:
		_, err = c.App.Casework.HandOverObjection(rc, actor(p), no, workflows.HandOverInput{Reasons: form.Reasons})
	default:
		return errNotFound
	}
	if err != nil {
		if !formRefused(p, err) {
			return err
		}
		v, verr := c.caseView(ctx, p)
		if verr != nil {
			return verr
		}
		v.Form = form
		return c.render(ctx, p, statusOf(err), "my-case", v)
	}
	return ctx.Redirect(http.StatusSeeOther, "/my/cases/"+url.PathEscape(no)+"?done="+url.QueryEscape(step))
}

// supplement uploads the files to the case and answers the one-time
// notice with the statement naming them.
func (c *Console) supplement(ctx echo.Context, p *page, no string, form stepForm) error {
	rc := ctx.Request().Context()
	var uploads []casework.Upload
	if mf, err := ctx.MultipartForm(); err == nil {
		for i, h := range mf.File["evidence"] {
			if h.Filename == "" {
				continue
			}
			fh, err := h.Open()
			if err != nil {
				return err
			}
			raw, err := io.ReadAll(io.LimitReader(fh, c.App.Casework.EvidenceLimits().MaxFileSize+1))
			fh.Close()
			if err != nil {
				return err
			}
			uploads = append(uploads, casework.Upload{Field: fmt.Sprintf("file[%d]", i), Name: h.Filename, Data: raw})
		}
	}
	var names []string
	if len(uploads) > 0 {
		metas, err := c.App.Casework.UploadObjectionEvidence(rc, actor(p), no, uploads)
		if err != nil {
			return err
		}
		for _, m := range metas {
			names = append(names, m.Name)
		}
	}
	_, err := c.App.Casework.SupplementObjection(rc, actor(p), no, workflows.SupplementInput{Statement: form.Statement, Evidence: names})
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
	f, err := c.App.Casework.ObjectionDocument(ctx.Request().Context(), actor(p), ctx.Param("no"), id, format)
	if err != nil {
		return err
	}
	return sendFile(ctx, f)
}

func (c *Console) caseEvidenceFile(ctx echo.Context, p *page) error {
	if p.Account == nil {
		return errLogin
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	f, err := c.App.Casework.ObjectionEvidenceFile(ctx.Request().Context(), actor(p), ctx.Param("no"), id)
	if err != nil {
		return err
	}
	return sendFile(ctx, f)
}

// sendFile answers a download; an HTML letter is served sandboxed.
func sendFile(ctx echo.Context, f casework.File) error {
	h := ctx.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if f.Sandbox {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; sandbox")
		return ctx.Blob(http.StatusOK, f.ContentType, f.Data)
	}
	h.Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	return ctx.Blob(http.StatusOK, f.ContentType, f.Data)
}

// statusOf is the HTTP status of a refusal shown on a form.
func statusOf(err error) int {
	if r, ok := refusalOf(err); ok {
		return r
	}
	return http.StatusUnprocessableEntity
}
