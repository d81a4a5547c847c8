package web

// The records pages of the staff (issue 15): search, a record with its
// versions, its correction (a new version), and the import of a CSV or
// JSON-lines file with the row report. Every read of a record that is not
// public goes through the core's use case, which writes it to the query
// log with the purpose the reader states.

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/registry"
)

func (c *Console) routesRecords(get, post func(string, handler)) {
	get("/records", c.recordSearch)
	get("/records/import", c.recordImportForm)
	post("/records/import", c.recordImport)
	get("/records/:id", c.recordPage)
	post("/records/:id/correct", c.recordCorrect)
}

var recordRoles = []auth.Role{auth.Caseworker, auth.Supervisor, auth.Provider}

// needsPurpose: centre staff state why they read records that are not
// public; subjects and providers read their own.
func needsPurpose(p *page) bool {
	return p.Account.Role == auth.Caseworker || p.Account.Role == auth.Supervisor
}

type recordSearchView struct {
	Q, Purpose          string
	Category            string
	Disclosure          string
	Status              string
	NeedPurpose         bool
	Subjects            []records.Subject
	SubjectID           string
	Subject             *records.Subject
	Categories          []option
	Disclosures         []option
	Statuses            []option
	Records             []records.Record
	Searched            bool
	Next                string
	CanImport, CanWrite bool
}

var (
	recordCategories  = []string{"basic", "positive", "negative", "other"}
	recordDisclosures = []string{records.Public, "government", "authorised"}
	recordStatuses    = []string{"active", "under_objection", "suspended", "corrected", "repaired", "archived"}
)

// recordSearch finds a subject by name or identifier, then lists its
// records (or lists records by category, disclosure and status).
func (c *Console) recordSearch(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listRecords", recordRoles...); err != nil {
		return err
	}
	p.Nav = "/records"
	rc := ctx.Request().Context()
	a := actor(p)
	q := func(n string) string { return strings.TrimSpace(ctx.QueryParam(n)) }
	v := recordSearchView{Q: q("q"), Purpose: q("purpose"), NeedPurpose: needsPurpose(p), SubjectID: q("subject_id"),
		Categories: options(q("category"), recordCategories, "category"), Disclosures: options(q("disclosure"), recordDisclosures, "disclosure"),
		Statuses: options(q("status"), recordStatuses, "status"), Category: q("category"), Disclosure: q("disclosure"), Status: q("status"),
		CanImport: p.Account.Role == auth.Caseworker || p.Account.Role == auth.Provider}
	if v.Q != "" {
		subs, err := c.App.Registry.Subjects(rc, a, registry.SubjectFilter{Q: v.Q, Limit: 20})
		if err != nil {
			if formRefused(p, err) {
				return c.render(ctx, p, statusOf(err), "staff-records", v)
			}
			return err
		}
		v.Subjects = subs
		if len(subs) == 1 && v.SubjectID == "" {
			v.SubjectID = strconv.FormatInt(subs[0].ID, 10)
		}
	}
	searching := v.SubjectID != "" || q("category") != "" || q("disclosure") != "" || q("status") != ""
	if !searching {
		return c.render(ctx, p, http.StatusOK, "staff-records", v)
	}
	f := registry.RecordFilter{Category: q("category"), Disclosure: q("disclosure"), Status: q("status"), Purpose: v.Purpose, Limit: 50,
		SubjectID: idParam(p, ctx, "subject_id"), Before: idParam(p, ctx, "before")}
	if len(p.Errors) > 0 {
		p.Problem = p.L.T("form.fix")
		return c.render(ctx, p, http.StatusBadRequest, "staff-records", v)
	}
	if f.SubjectID > 0 {
		sub, err := c.App.Registry.Subject(rc, a, f.SubjectID)
		if err != nil {
			return err
		}
		v.Subject = &sub
	}
	pg, err := c.App.Registry.Records(rc, a, f)
	if err != nil {
		if formRefused(p, err) {
			return c.render(ctx, p, statusOf(err), "staff-records", v)
		}
		return err
	}
	v.Records, v.Searched = pg.Records, true
	if pg.NextBefore > 0 {
		qs := ctx.QueryParams()
		qs.Set("before", strconv.FormatInt(pg.NextBefore, 10))
		v.Next = "/records?" + qs.Encode()
	}
	return c.render(ctx, p, http.StatusOK, "staff-records", v)
}

// SubjectQuery is the search for the records of subject id, keeping the
// purpose and the filters.
func (v recordSearchView) SubjectQuery(id int64) string {
	q := url.Values{"subject_id": {strconv.FormatInt(id, 10)}}
	if v.Purpose != "" {
		q.Set("purpose", v.Purpose)
	}
	for k, val := range map[string]string{"category": v.Category, "disclosure": v.Disclosure, "status": v.Status} {
		if val != "" {
			q.Set(k, val)
		}
	}
	return q.Encode()
}

// recordHref is a record's page, carrying the purpose stated for it.
func recordHref(id int64, purpose string) string {
	h := "/records/" + strconv.FormatInt(id, 10)
	if purpose != "" {
		h += "?" + url.Values{"purpose": {purpose}}.Encode()
	}
	return h
}

func init() { funcs["recordhref"] = recordHref }

type recordPageView struct {
	Purpose     string
	NeedPurpose bool // the reader must say why before the record is shown
	Record      *recordView
	Corrections []correctionRow
	CanCorrect  bool
	Form        url.Values
}

func (v recordPageView) posted(step, name string) (string, bool) {
	if step != "correct" || v.Form == nil {
		return "", false
	}
	vals, ok := v.Form[name]
	if !ok || len(vals) == 0 {
		return "", true
	}
	return vals[0], true
}

func (v recordPageView) corrections() []correctionRow { return v.Corrections }

// recordPage shows a record and its versions, newest first, and to a
// caseworker the correction form. Staff say why they read a record that
// is not public; the read is logged with that purpose.
func (c *Console) recordPage(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getRecord", recordRoles...); err != nil {
		return err
	}
	p.Nav = "/records"
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	v, status, err := c.recordPageView(ctx, p, id, strings.TrimSpace(ctx.QueryParam("purpose")))
	if err != nil {
		return err
	}
	if ctx.QueryParam("done") == "corrected" {
		p.Notice = p.L.T("records.done.corrected")
	}
	return c.render(ctx, p, status, "staff-record", v)
}

func (c *Console) recordPageView(ctx echo.Context, p *page, id int64, purpose string) (recordPageView, int, error) {
	v := recordPageView{Purpose: purpose, CanCorrect: p.Account.Role == auth.Caseworker}
	d, err := c.App.Registry.Record(ctx.Request().Context(), actor(p), id, purpose)
	if err != nil {
		if r, ok := refusalOf(err); ok && r == http.StatusBadRequest && needsPurpose(p) {
			// no purpose yet (or too long): ask for it
			v.NeedPurpose = true
			if purpose != "" {
				formRefused(p, err)
				return v, http.StatusBadRequest, nil
			}
			return v, http.StatusOK, nil
		}
		return v, 0, err
	}
	v.Record = &recordView{Record: d.Record, Versions: versionViews(d.Versions)}
	if v.CanCorrect {
		v.Corrections = correctionRows(d.Record)
	}
	return v, http.StatusOK, nil
}

// recordCorrect writes a new version of the record with the fields given
// a new value and the reason; a refusal is shown on the form.
func (c *Console) recordCorrect(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "correctRecord", auth.Caseworker); err != nil {
		return err
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	form, err := c.readForm(ctx)
	if err != nil {
		return err
	}
	purpose := strings.TrimSpace(form.Get("purpose"))
	rc := ctx.Request().Context()
	cur, err := c.App.Registry.Record(rc, actor(p), id, p.L.T("records.purpose.correct"))
	if err != nil {
		return err
	}
	in := recordInputOf(cur.Record)
	changes := correctionOf(form)
	for k, val := range changes {
		s := val.(string)
		switch k {
		case "title":
			in.Title = s
		case "content":
			in.Content = s
		case "decision_no":
			in.DecisionNo = s
		case "decided_on":
			in.DecidedOn = s
		case "severity":
			in.Severity = s
		case "category":
			in.Category = s
		case "disclosure":
			in.Disclosure = s
		case "dishonesty_category":
			in.DishonestyCategory = s
		}
	}
	in.Reason = form.Get("reason")
	if len(changes) == 0 {
		p.Errors = append(p.Errors, fieldError{Field: "correct-correction", Msg: p.L.T("records.correct.nothing")})
		p.Problem = p.L.T("form.fix")
		err = errors.New("nothing to correct")
	} else {
		_, err = c.App.Registry.CorrectRecord(rc, actor(p), id, in)
		if err == nil {
			return ctx.Redirect(http.StatusSeeOther, recordHref(id, purpose)+sep(purpose)+"done=corrected")
		}
		if s, ok := refusalOf(err); ok && (s == http.StatusNotFound || s == http.StatusForbidden) {
			return err
		}
		if !recordRefused(p, err) {
			return err
		}
	}
	v, _, verr := c.recordPageView(ctx, p, id, purpose)
	if verr != nil {
		return verr
	}
	v.Form = form
	status := http.StatusUnprocessableEntity
	if s, ok := refusalOf(err); ok {
		status = s
	}
	return c.render(ctx, p, status, "staff-record", v)
}

// sep is what joins a further parameter to recordHref's address.
func sep(purpose string) string {
	if purpose == "" {
		return "?"
	}
	return "&"
}

// recordRefused shows a refusal of a correction: the fields of the record
// next to their rows of the correction table, the reason next to its box.
func recordRefused(p *page, err error) bool {
	if !stepRefused(p, "correct", err) {
		return false
	}
	for i, f := range p.Errors {
		if name, ok := strings.CutPrefix(f.Field, "correct-"); ok && name != "reason" && name != "correction" && !strings.HasPrefix(name, "correction-") {
			p.Errors[i].Field = "correct-correction-" + name
		}
	}
	return true
}

// recordInputOf is a record as the input that writes it again.
func recordInputOf(r records.Record) records.RecordInput {
	return records.RecordInput{SubjectID: r.SubjectID, Category: r.Category, Severity: r.Severity, DishonestyCategory: r.DishonestyCategory,
		Disclosure: r.Disclosure, Title: r.Title, Content: r.Content, DecisionNo: r.DecisionNo, DecidedOn: r.DecidedOn.String(),
		ConsentRef: r.ConsentRef, Details: r.Details}
}

// ---- import ----

type recordImportView struct {
	Format     string
	Formats    []option
	Providers  []option
	ProviderID string
	Report     *records.ImportReport
	Rejected   []importRowError
}

type importRowError struct {
	Line         int
	Field, Label string
	Msg          string
}

func (c *Console) importView(ctx echo.Context, p *page, format, provider string) (recordImportView, error) {
	p.Nav = "/records"
	if format == "" {
		format = records.FormatCSV
	}
	v := recordImportView{Format: format, Formats: options(format, []string{records.FormatCSV, records.FormatJSONL}, "import.format"), ProviderID: provider}
	if p.Account.Role == auth.Caseworker {
		ps, err := c.App.Registry.Providers(ctx.Request().Context(), actor(p))
		if err != nil {
			return v, err
		}
		for _, x := range ps {
			id := strconv.FormatInt(x.ID, 10)
			v.Providers = append(v.Providers, option{Value: id, Text: x.Name, Selected: id == provider})
		}
	}
	return v, nil
}

// recordImportForm is the import form: the file, its format and (for a
// caseworker) the provider it comes from.
func (c *Console) recordImportForm(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "importRecords", auth.Caseworker, auth.Provider); err != nil {
		return err
	}
	v, err := c.importView(ctx, p, "", "")
	if err != nil {
		return err
	}
	return c.render(ctx, p, http.StatusOK, "staff-import", v)
}

// recordImport imports the file all or nothing and shows the row report:
// every record stored, or every bad field of every row and nothing stored.
func (c *Console) recordImport(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "importRecords", auth.Caseworker, auth.Provider); err != nil {
		return err
	}
	form, err := c.readForm(ctx)
	if err != nil {
		return err
	}
	v, err := c.importView(ctx, p, form.Get("format"), form.Get("provider_id"))
	if err != nil {
		return err
	}
	in := registry.Import{Format: form.Get("format")}
	if s := form.Get("provider_id"); s != "" {
		if in.ProviderID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return errNotFound
		}
	}
	fh, ferr := ctx.FormFile("file")
	if ferr != nil {
		p.Errors = append(p.Errors, fieldError{Field: "file", Msg: p.L.T("import.file.missing")})
		p.Problem = p.L.T("form.fix")
		return c.render(ctx, p, http.StatusUnprocessableEntity, "staff-import", v)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	in.File = f
	rep, err := c.App.Registry.ImportRecords(ctx.Request().Context(), actor(p), in)
	if err != nil {
		var rej *registry.ImportRejection
		if errors.As(err, &rej) {
			v.Report = &rej.Report
			for _, row := range rej.Report.Rejected {
				for _, fe := range row.Fields {
					v.Rejected = append(v.Rejected, importRowError{Line: row.Line, Field: fe.Field, Msg: p.L.Pick(fe.ZH, fe.EN)})
				}
			}
			title, detail := p.L.Pick(rej.Refusal.Title.ZH, rej.Refusal.Title.EN), p.L.Pick(rej.Refusal.Detail.ZH, rej.Refusal.Detail.EN)
			p.Problem = p.L.T("fmt.colon", title, detail)
			return c.render(ctx, p, rej.Refusal.Status(), "staff-import", v)
		}
		if !formRefused(p, err) {
			return err
		}
		return c.render(ctx, p, statusOf(err), "staff-import", v)
	}
	v.Report = &rep
	p.Notice = p.L.T("import.done", rep.Accepted)
	return c.render(ctx, p, http.StatusCreated, "staff-import", v)
}
