package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/evidence"
)

// Types of the repair operations (package casework holds them).
type (
	RepairEligibility      = casework.RepairEligibility
	FiledRepair            = casework.FiledRepair
	RepairDetail           = casework.RepairDetail
	RepairLive             = casework.RepairLive
	PublicRepairNotice     = casework.PublicRepairNotice
	PublicObjectionForm    = casework.PublicObjectionForm
	PublicObjectionReceipt = casework.PublicObjectionReceipt
)

// routesRepairs registers the credit repair procedure (信用修复, DESIGN.md
// §2.3): the dry run, the application (multipart: record_id, statement,
// the commitment and the evidence), every step, the letters, and for
// anyone the publicity notices and the objection form.
func (s *Server) routesRepairs(r *router) {
	cw := s.app.Casework
	r.op(http.MethodGet, "/records/:id/repair-eligibility", "getRepairEligibility", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		var q casework.RepairEligibilityQuery
		if err := bindQuery(c, &q); err != nil {
			return err
		}
		out, err := cw.RepairEligibilityOf(c.Request().Context(), actor(c), id, q)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
	r.op(http.MethodGet, "/repairs", "listRepairs", func(c echo.Context) error {
		var f casework.ObjectionFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		page, err := cw.ListRepairs(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
	r.op(http.MethodPost, "/repairs", "applyForRepair", func(c echo.Context) error {
		if !isMultipart(c) {
			return multipartRequired()
		}
		form, err := multipartForm(c, []string{"record_id", "statement", "corrected_on"})
		if err != nil {
			return err
		}
		var in casework.ApplyForRepair
		in.CorrectedOn = formText(form, "corrected_on")
		if in.RecordID, err = formInt(form, "record_id"); err != nil {
			return err
		}
		in.Statement = formText(form, "statement")
		commitment, err := formFiles(form, casework.CommitmentField, evidence.FieldFile)
		if err != nil {
			return err
		}
		if len(commitment) > 1 {
			return oneCommitment()
		}
		if len(commitment) == 1 {
			in.Commitment = &commitment[0]
		}
		if in.Evidence, err = formFiles(form, evidence.FieldFile, casework.CommitmentField); err != nil {
			return err
		}
		out, err := cw.ApplyForRepair(c.Request().Context(), actor(c), in)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/repairs/"+out.Case.CaseNo)
		return c.JSON(http.StatusCreated, out)
	})
	r.op(http.MethodGet, "/repairs/:no", "getRepair", func(c echo.Context) error {
		d, err := cw.Repair(c.Request().Context(), actor(c), c.Param("no"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, d)
	})
	r.op(http.MethodPost, "/repairs/:no/supplement", "supplementRepair", func(c echo.Context) error {
		if !isMultipart(c) {
			return multipartRequired()
		}
		form, err := multipartForm(c, []string{"statement"})
		if err != nil {
			return err
		}
		in := casework.SupplementRepair{Statement: formText(form, "statement")}
		if in.Evidence, err = formFiles(form, evidence.FieldFile); err != nil {
			return err
		}
		out, err := cw.SupplementRepair(c.Request().Context(), actor(c), c.Param("no"), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
	steps := map[string]echo.HandlerFunc{
		"withdraw":           step(cw.WithdrawRepair),
		"accept":             step(cw.AcceptRepair),
		"request-supplement": step(cw.RequestRepairSupplement),
		"provider-opinion":   step(cw.GiveRepairOpinion),
		"publish":            step(cw.PublishRepair),
		"verify-objection":   step(cw.VerifyRepairObjection),
		"decide":             step(cw.DecideRepair),
	}
	for _, st := range casework.RepairSteps() {
		r.op(http.MethodPost, "/repairs/:no/"+st.Name, string(st.UseCase), steps[st.Name])
	}
	r.op(http.MethodGet, "/repairs/:no/documents", "listRepairDocuments", func(c echo.Context) error {
		out, err := cw.RepairDocuments(c.Request().Context(), actor(c), c.Param("no"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, DocumentList{Documents: out})
	})
	r.op(http.MethodGet, "/repairs/:no/documents/:id", "downloadRepairDocument", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		f, err := cw.RepairDocument(c.Request().Context(), actor(c), c.Param("no"), id, c.QueryParam("format"))
		if err != nil {
			return err
		}
		return sendFile(c, f)
	})
	r.op(http.MethodGet, "/repairs/:no/evidence/:id", "downloadRepairEvidence", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		f, err := cw.RepairEvidenceFile(c.Request().Context(), actor(c), c.Param("no"), id)
		if err != nil {
			return err
		}
		return sendFile(c, f)
	})
	r.op(http.MethodGet, "/public/repair-notices", "listRepairNotices", func(c echo.Context) error {
		out, err := cw.RepairNotices(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, RepairNoticeList{Notices: out})
	})
	r.op(http.MethodPost, "/public/repair-notices/:no/objections", "objectToRepair", func(c echo.Context) error {
		var f casework.PublicObjectionForm
		if err := readJSON(c, &f); err != nil {
			return err
		}
		out, err := cw.ObjectToRepair(c.Request().Context(), actor(c), c.RealIP(), c.Param("no"), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, out)
	})
	r.op(http.MethodGet, "/public/repair-objections/:receipt", "getRepairObjectionAnswer", func(c echo.Context) error {
		out, err := cw.RepairObjectionAnswer(c.Request().Context(), actor(c), c.Param("receipt"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
}
