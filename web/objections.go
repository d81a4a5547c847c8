package web

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/workflows"
)

// objectionForm is the filing as the reader fills it in: the form page,
// "check your answers" and the submission carry the same fields.
type objectionForm struct {
	Record    records.Record
	Grounds   []string // codes of the grounds chosen (the profile's)
	Other     string   // a ground in the reader's words
	Statement string
	Files     []heldFile
	Choices   []groundChoice
}

// groundChoice is one ground of the record's profile (异议情形) as the
// regulation words it, with its article; Key is the catalogue key of its
// reading in English, when the catalogue has one.
type groundChoice struct {
	policy.Ground
	Key     string
	Checked bool
	ID      string
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
	rec, err := c.record(ctx.Request().Context(), p, id)
	return a, rec, err
}

// choices lists the grounds of the record's profile, those chosen ticked.
func (f *objectionForm) choices(grounds []policy.Ground) {
	f.Choices = nil
	for i, g := range grounds {
		ch := groundChoice{Ground: g, Checked: slices.Contains(f.Grounds, g.Code), ID: fmt.Sprintf("grounds-%d", i)}
		if known("ground." + g.Code) {
			ch.Key = "ground." + g.Code
		}
		f.Choices = append(f.Choices, ch)
	}
}

// filed are the grounds as the objection files them: each chosen ground
// in the regulation's words with its article, then the reader's own.
func (f *objectionForm) filed() []string {
	var out []string
	for _, ch := range f.Choices {
		if ch.Checked {
			out = append(out, ch.Text+"（"+ch.Source+"）")
		}
	}
	if f.Other != "" {
		out = append(out, f.Other)
	}
	return out
}

func (c *Console) objectionForm(ctx echo.Context, p *page) error {
	_, rec, err := c.ownRecord(ctx, p)
	if err != nil {
		return err
	}
	grounds, err := c.App.Casework.ObjectionGrounds(ctx.Request().Context(), actor(p), rec.ID)
	if err != nil {
		return err
	}
	p.Nav = "/my/records"
	f := objectionForm{Record: rec}
	f.choices(grounds)
	return c.render(ctx, p, http.StatusOK, "objection-form", f)
}

// readObjectionForm reads the posted fields and files (new uploads, or the
// files held by the check page).
func (c *Console) readObjectionForm(ctx echo.Context, p *page, rec records.Record) (objectionForm, error) {
	f := objectionForm{Record: rec, Other: strings.TrimSpace(ctx.FormValue("other")), Statement: strings.TrimSpace(ctx.FormValue("statement"))}
	grounds, err := c.App.Casework.ObjectionGrounds(ctx.Request().Context(), actor(p), rec.ID)
	if err != nil {
		return f, err
	}
	form, err := ctx.MultipartForm()
	if err != nil {
		return f, errBadForm
	}
	for _, code := range form.Value["grounds"] {
		if slices.ContainsFunc(grounds, func(g policy.Ground) bool { return g.Code == code }) && !slices.Contains(f.Grounds, code) {
			f.Grounds = append(f.Grounds, code)
		}
	}
	if f.Files, err = c.heldFiles(p, form, "evidence"); err != nil {
		return f, err
	}
	f.choices(grounds)
	return f, nil
}

// errBadForm answers a post that is not the form it should be.
var errBadForm = &statusError{http.StatusBadRequest, errorView{Heading: "error.400.title", Body: "error.400.body"}}

// heldFiles reads the files of a form: those held from an earlier step
// (held_name/held_data) and the new uploads in field, each checked as the
// core checks it (type by content, size) so that a "check your answers"
// page never shows a file the filing would refuse. A refused file is named
// next to field.
func (c *Console) heldFiles(p *page, form *multipart.Form, field string) ([]heldFile, error) {
	var out []heldFile
	names, datas := form.Value["held_name"], form.Value["held_data"]
	for i := range names {
		if i < len(datas) {
			raw, err := base64.StdEncoding.DecodeString(datas[i])
			if err == nil {
				out = append(out, heldFile{Name: names[i], Size: len(raw), Data: datas[i]})
			}
		}
	}
	lim := c.App.Casework.EvidenceLimits()
	for _, h := range form.File[field] {
		if h.Filename == "" {
			continue
		}
		fh, err := h.Open()
		if err != nil {
			return out, err
		}
		raw, err := io.ReadAll(io.LimitReader(fh, lim.MaxFileSize+1))
		fh.Close()
		if err != nil {
			return out, err
		}
		if _, err := evidence.Check(h.Filename, raw, lim); err != nil {
			if e, ok := evidence.AsError(err); ok {
				p.Errors = append(p.Errors, fieldError{field, p.L.T("objection.file.refused", h.Filename, p.L.Pick(e.Zh, e.En))})
				continue
			}
			return out, err
		}
		out = append(out, heldFile{Name: h.Filename, Size: len(raw), Data: base64.StdEncoding.EncodeToString(raw)})
	}
	return out, nil
}

// uploads are held files as the core takes them, named file[i].
func uploads(files []heldFile) []casework.Upload {
	var out []casework.Upload
	for i, h := range files {
		raw, _ := base64.StdEncoding.DecodeString(h.Data)
		out = append(out, casework.Upload{Field: fmt.Sprintf("file[%d]", i), Name: h.Name, Data: raw})
	}
	return out
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
	grounds := f.filed()
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
	in := casework.FileObjection{RecordID: rec.ID, Grounds: grounds, Statement: f.Statement, Evidence: uploads(f.Files)}
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

func statusFor(p *page) int {
	if len(p.Errors) > 0 {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
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

// ---- the objection's case page ----

// objectionCaseView is the case page of an objection.
type objectionCaseView struct {
	caseBase
	Detail  casework.ObjectionDetail
	Record  records.Record
	Missing []string
}

func (c *Console) objectionCase(ctx echo.Context, p *page, no string) (objectionCaseView, error) {
	rc := ctx.Request().Context()
	d, err := c.App.Casework.Objection(rc, actor(p), no)
	if err != nil {
		return objectionCaseView{}, err
	}
	v := objectionCaseView{Detail: d, caseBase: c.caseBase(p, "objection", d.Case.CaseNo, d.Case.ProfileID, d.Deadlines, d.Documents, d.Events, d.Actions)}
	v.Route = c.App.Casework.ResultRoute(rc, d.Case.ProfileID, d.Case.ProfileVersion)
	if v.Record, err = c.record(rc, p, d.Case.RecordID); err != nil {
		return objectionCaseView{}, err
	}
	if d.Live != nil {
		v.Missing = d.Live.Missing
	}
	return v, nil
}

// supplementObjection uploads the files to the case and answers the
// one-time notice with the statement naming them.
func (c *Console) supplementObjection(ctx echo.Context, p *page, no string, f stepForm) error {
	rc := ctx.Request().Context()
	var names []string
	if len(f.Files) > 0 {
		metas, err := c.App.Casework.UploadObjectionEvidence(rc, actor(p), no, uploads(f.Files))
		if err != nil {
			return err
		}
		for _, m := range metas {
			names = append(names, m.Name)
		}
	}
	_, err := c.App.Casework.SupplementObjection(rc, actor(p), no, workflows.SupplementInput{Statement: f.Statement, Evidence: names})
	return err
}

func workflowsWithdraw(f stepForm) workflows.WithdrawInput {
	return workflows.WithdrawInput{Reason: f.Reason}
}
func appealInput(f stepForm) workflows.AppealInput { return workflows.AppealInput{Grounds: f.Grounds} }
