package web

import (
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
}

// ownRepairRecord reads one of the subject's records for the repair pages.
func (c *Console) ownRepairRecord(ctx echo.Context, p *page) (records.Record, casework.RepairEligibility, error) {
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
	el, err := c.App.Casework.RepairEligibilityOf(rc, actor(p), id, casework.RepairEligibilityQuery{})
	if err != nil {
		return records.Record{}, el, err
	}
	rec, err := c.records.Record(rc, id)
	if err != nil {
		return rec, el, err
	}
	return rec, el, nil
}

func (c *Console) repairEligibility(ctx echo.Context, p *page) error {
	rec, el, err := c.ownRepairRecord(ctx, p)
	if err != nil {
		return err
	}
	return c.render(ctx, p, http.StatusOK, "repair-eligibility", repairEligibilityView{Record: rec, Eligibility: el})
}

// repairForm is the application as the reader fills it in; the form, the
// check page and the filing carry the same fields.
type repairForm struct {
	Record     records.Record
	Commitment casework.RepairCommitment
	Statement  string
	Accepted   bool
	Files      []heldFile
}

func (c *Console) repairForm(ctx echo.Context, p *page) error {
	rec, el, err := c.ownRepairRecord(ctx, p)
	if err != nil {
		return err
	}
	if !el.CanApply {
		// Not now: the conditions say why and from when.
		return c.render(ctx, p, http.StatusOK, "repair-eligibility", repairEligibilityView{Record: rec, Eligibility: el})
	}
	f := repairForm{Record: rec}
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
	f := repairForm{Statement: strings.TrimSpace(ctx.FormValue("statement")), Accepted: ctx.FormValue("commitment_accepted") == "yes"}
	if f.Commitment, err = c.App.Casework.RepairCommitmentOf(rc, actor(p), id); err != nil {
		return err
	}
	if f.Record, err = c.records.Record(rc, id); err != nil {
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
	if step != "submit" {
		p.Title = p.L.T("page.repair-check")
		return c.render(ctx, p, http.StatusOK, "repair-check", f)
	}
	filed, err := c.App.Casework.ApplyForRepair(rc, actor(p), casework.ApplyForRepair{RecordID: id, Statement: f.Statement,
		CommitmentAccepted: f.Accepted, Evidence: uploads(f.Files)})
	if err == nil {
		return ctx.Redirect(http.StatusSeeOther, "/my/cases/"+url.PathEscape(filed.Case.CaseNo)+"?done=filed")
	}
	r, ok := refusal.As(err)
	switch {
	case ok && r.Kind == refusal.RepairIneligible:
		// The conditions as they stand now, each with its date.
		el, eerr := c.App.Casework.RepairEligibilityOf(rc, actor(p), id, casework.RepairEligibilityQuery{})
		if eerr != nil {
			return eerr
		}
		formRefused(p, err)
		p.Errors = nil // the conditions below say each one, with its date
		p.Title = p.L.T("page.repair-eligibility")
		return c.render(ctx, p, statusOf(err), "repair-eligibility", repairEligibilityView{Record: f.Record, Eligibility: el})
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
	if rec, err := c.records.Record(rc, d.Case.RecordID); err == nil {
		v.Record = rec
	}
	if d.Live != nil {
		v.Missing = d.Live.Missing
	}
	return v, nil
}
