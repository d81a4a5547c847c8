package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
)

// The credit repair application (信用修复申请), GOV.UK-style in steps: the
// conditions first (each met or not, with the date from which an unmet one
// is met), then one form with the statement, the credit commitment
// (信用承诺书) shown in full and accepted, and the evidence; "check your
// answers"; the filing through the core; the case page.

func (c *Console) routesRepairs(get, post func(string, handler)) {
	get("/my/records/:id/repair", c.repairEligibility)
	get("/my/records/:id/repair/apply", c.repairForm)
	post("/my/records/:id/repair/apply", c.repairPost)
}

// repairEligibilityView is the first step: may the record be repaired.
type repairEligibilityView struct {
	Record      records.Record
	Eligibility casework.RepairEligibility
	// CorrectedOn is the correction day the answer counts from (YYYY-MM-DD;
	// "" none); Given is a day the core refused, shown back in its field.
	CorrectedOn, Given string
}

// ownRepairRecord reads one of the subject's records for the repair pages
// and the core's answer whether it may be repaired today, counting "same
// kind" from the day the behaviour was corrected when the reader gives it
// (corrected_on, Nantong art. 34(二)). A day the core refuses is shown next
// to its field, and the answer is then the one without it.
func (c *Console) ownRepairRecord(ctx echo.Context, p *page, corrected string) (records.Record, casework.RepairEligibility, error) {
	if _, err := c.require(ctx, p, "applyForRepair", auth.Subject); err != nil {
		return records.Record{}, casework.RepairEligibility{}, err
	}
	p.Nav = "/my/records"
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return records.Record{}, casework.RepairEligibility{}, errNotFound
	}
	rc := ctx.Request().Context()
	// The core answers 404 for a record that is not the reader's.
	el, err := c.eligibility(rc, p, id, corrected)
	if err != nil {
		return records.Record{}, el, err
	}
	rec, err := c.record(rc, p, id)
	return rec, el, err
}

// eligibility is the core's dry run for record id with the correction day
// given; a refused day becomes the corrected_on field's error and the dry
// run is answered without it.
func (c *Console) eligibility(rc context.Context, p *page, id int64, corrected string) (casework.RepairEligibility, error) {
	el, err := c.App.Casework.RepairEligibilityOf(rc, actor(p), id, casework.RepairEligibilityQuery{CorrectedOn: corrected})
	if r, ok := refusal.As(err); ok && corrected != "" && refusedField(r, "corrected_on") {
		p.Errors = append(p.Errors, fieldsOf(p.L, r)...)
		return c.App.Casework.RepairEligibilityOf(rc, actor(p), id, casework.RepairEligibilityQuery{})
	}
	return el, err
}

// refusedField reports whether r names field.
func refusedField(r *refusal.Error, field string) bool {
	for _, f := range r.Fields {
		if f.Name == field {
			return true
		}
	}
	return false
}

// repairEligibilityView is the first step: may the record be repaired,
// with the correction day the reader gave (kept for the form).
func (c *Console) repairEligibility(ctx echo.Context, p *page) error {
	corrected := strings.TrimSpace(ctx.QueryParam("corrected_on"))
	rec, el, err := c.ownRepairRecord(ctx, p, corrected)
	if err != nil {
		return err
	}
	v := repairEligibilityView{Record: rec, Eligibility: el}
	if p.Err("corrected_on") == "" {
		v.CorrectedOn = corrected
	} else {
		v.Given = corrected
	}
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusBadRequest
	}
	return c.render(ctx, p, status, "repair-eligibility", v)
}

// repairForm is the application as the reader fills it in; the form, the
// check page and the filing carry the same fields.
type repairForm struct {
	Record     records.Record
	Commitment casework.RepairCommitment
	Statement  string
	// CorrectedOn is the day the behaviour was corrected (YYYY-MM-DD,
	// optional): "same kind" runs from it.
	CorrectedOn string
	Accepted    bool
	Files       []heldFile
}

func (c *Console) repairForm(ctx echo.Context, p *page) error {
	corrected := strings.TrimSpace(ctx.QueryParam("corrected_on"))
	rec, el, err := c.ownRepairRecord(ctx, p, corrected)
	if err != nil {
		return err
	}
	if !el.CanApply || len(p.Errors) > 0 {
		// Not now (the conditions say why and from when), or a day the
		// core refused: the first step again.
		v := repairEligibilityView{Record: rec, Eligibility: el, CorrectedOn: corrected}
		if len(p.Errors) > 0 {
			v.CorrectedOn, v.Given = "", corrected
			return c.render(ctx, p, http.StatusBadRequest, "repair-eligibility", v)
		}
		return c.render(ctx, p, http.StatusOK, "repair-eligibility", v)
	}
	f := repairForm{Record: rec, CorrectedOn: corrected}
	if f.Commitment, err = c.App.Casework.RepairCommitmentOf(ctx.Request().Context(), actor(p), rec.ID); err != nil {
		return err
	}
	return c.render(ctx, p, http.StatusOK, "repair-form", f)
}

// repairPost handles the application's posts: "check" (the default) shows
// the answers to confirm, "change" goes back to the form, "submit" files
// the application through the core and opens the case page. A refusal for
// an unmet condition shows the conditions again, each with its date.
func (c *Console) repairPost(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "applyForRepair", auth.Subject); err != nil {
		return err
	}
	p.Nav = "/my/records"
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	rc := ctx.Request().Context()
	f := repairForm{Statement: strings.TrimSpace(ctx.FormValue("statement")), Accepted: ctx.FormValue("commitment_accepted") == "yes",
		CorrectedOn: strings.TrimSpace(ctx.FormValue("corrected_on"))}
	if f.Commitment, err = c.App.Casework.RepairCommitmentOf(rc, actor(p), id); err != nil {
		return err
	}
	if f.Record, err = c.record(rc, p, id); err != nil {
		return err
	}
	form, err := ctx.MultipartForm()
	if err != nil {
		return errBadForm
	}
	if f.Files, err = c.heldFiles(p, form, "evidence"); err != nil {
		return err
	}
	step := ctx.FormValue("step")
	if step == "change" {
		return c.render(ctx, p, http.StatusOK, "repair-form", f)
	}
	if !f.Accepted {
		p.Errors = append(p.Errors, fieldError{"commitment_accepted", p.L.T("repair.commitment.required")})
	}
	if len(f.Files) == 0 && p.Err("evidence") == "" {
		p.Errors = append(p.Errors, fieldError{"evidence", p.L.T("repair.evidence.required")})
	}
	if len(p.Errors) > 0 {
		return c.render(ctx, p, http.StatusUnprocessableEntity, "repair-form", f)
	}
	if step != "submit" && f.CorrectedOn != "" {
		// The day checked before the answers are confirmed: one the core
		// refuses is shown at its field; one under which a condition is not
		// met shows the conditions with their dates.
		el, err := c.eligibility(rc, p, id, f.CorrectedOn)
		if err != nil {
			return err
		}
		if len(p.Errors) > 0 {
			return c.render(ctx, p, http.StatusUnprocessableEntity, "repair-form", f)
		}
		if !el.CanApply {
			p.Title = p.L.T("page.repair-eligibility")
			return c.render(ctx, p, http.StatusOK, "repair-eligibility", repairEligibilityView{Record: f.Record, Eligibility: el, CorrectedOn: f.CorrectedOn})
		}
	}
	if step != "submit" {
		p.Title = p.L.T("page.repair-check")
		return c.render(ctx, p, http.StatusOK, "repair-check", f)
	}
	filed, err := c.App.Casework.ApplyForRepair(rc, actor(p), casework.ApplyForRepair{RecordID: id, Statement: f.Statement,
		CorrectedOn: f.CorrectedOn, CommitmentAccepted: f.Accepted, Evidence: uploads(f.Files)})
	if err == nil {
		return ctx.Redirect(http.StatusSeeOther, "/my/cases/"+url.PathEscape(filed.Case.CaseNo)+"?done=filed")
	}
	r, ok := refusal.As(err)
	switch {
	case ok && r.Kind == refusal.RepairIneligible:
		// The conditions as they stand now, each with its date.
		el, eerr := c.eligibility(rc, p, id, f.CorrectedOn)
		if eerr != nil {
			return eerr
		}
		formRefused(p, err)
		p.Errors = nil // the conditions below say each one, with its date
		p.Title = p.L.T("page.repair-eligibility")
		return c.render(ctx, p, statusOf(err), "repair-eligibility", repairEligibilityView{Record: f.Record, Eligibility: el, CorrectedOn: f.CorrectedOn})
	case ok && r.Kind == refusal.RepairOpen:
		return ctx.Redirect(http.StatusSeeOther, "/my/cases/"+url.PathEscape(r.CaseNo))
	case formRefused(p, err):
		return c.render(ctx, p, statusOf(err), "repair-form", f)
	}
	return err
}

// ---- the repair application's case page ----

// repairCaseView is the case page of a repair application.
type repairCaseView struct {
	caseBase
	Detail  casework.RepairDetail
	Record  records.Record
	Missing []string
}

func (c *Console) repairCase(ctx echo.Context, p *page, no string) (repairCaseView, error) {
	rc := ctx.Request().Context()
	d, err := c.App.Casework.Repair(rc, actor(p), no)
	if err != nil {
		return repairCaseView{}, err
	}
	v := repairCaseView{Detail: d, caseBase: c.caseBase(p, "repair", d.Case.CaseNo, d.Case.ProfileID, d.Deadlines, d.Documents, d.Events, d.Actions)}
	if v.Record, err = c.record(rc, p, d.Case.RecordID); err != nil {
		return repairCaseView{}, err
	}
	if d.Live != nil {
		v.Missing = d.Live.Missing
	}
	return v, nil
}
