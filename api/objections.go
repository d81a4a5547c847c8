package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/workflows"
)

// Types of the objection operations (package casework holds them).
type (
	FileObjectionRequest = casework.FileObjection
	FiledObjection       = casework.FiledObjection
	ObjectionDetail      = casework.ObjectionDetail
	ObjectionLive        = casework.ObjectionLive
)

// step is a JSON-bodied refusable step: decode the body into In, call the
// use case, answer the state after it.
func step[In, Out any](call func(context.Context, permission.Actor, string, In) (Out, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in In
		if err := readJSON(c, &in); err != nil {
			return err
		}
		out, err := call(c.Request().Context(), actor(c), c.Param("no"), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
}

// routesObjections registers the objection procedure (异议处理): filing,
// inboxes, case detail, every step, evidence and written notices.
func (s *Server) routesObjections(r *router) {
	cw := s.app.Casework
	r.op(http.MethodPost, "/objections", "fileObjection", s.fileObjection)
	r.op(http.MethodGet, "/objections", "listObjections", func(c echo.Context) error {
		var f casework.ObjectionFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		page, err := cw.ListObjections(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
	r.op(http.MethodGet, "/objections/:no", "getObjection", func(c echo.Context) error {
		d, err := cw.Objection(c.Request().Context(), actor(c), c.Param("no"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, d)
	})
	steps := map[string]echo.HandlerFunc{
		workflows.ObjectionSupplement:        step(cw.SupplementObjection),
		workflows.ObjectionWithdraw:          step(cw.WithdrawObjection),
		workflows.ObjectionAppeal:            step(cw.AppealObjection),
		workflows.ObjectionHandOver:          step(cw.HandOverObjection),
		workflows.ObjectionAccept:            step(cw.AcceptObjection),
		workflows.ObjectionRequestSupplement: step(cw.RequestObjectionSupplement),
		workflows.ObjectionDecideOwnError:    step(cw.DecideObjectionOwnError),
		workflows.ObjectionForwardToProvider: step(cw.ForwardObjectionToProvider),
		workflows.ObjectionDecide:            step(cw.DecideObjection),
		workflows.ObjectionPause:             step(cw.PauseObjection),
		workflows.ObjectionResume:            step(cw.ResumeObjection),
		workflows.ObjectionExtend:            step(cw.ExtendObjection),
		workflows.ObjectionProviderReply:     step(cw.ReplyToObjection),
		workflows.ObjectionDecideAppeal:      step(cw.DecideObjectionAppeal),
	}
	for _, st := range casework.ObjectionSteps() {
		r.op(http.MethodPost, "/objections/:no/"+st.Name, string(st.UseCase), steps[st.Name])
	}
	r.op(http.MethodPost, "/objections/:no/evidence", "uploadObjectionEvidence", func(c echo.Context) error {
		form, err := multipartForm(c, nil)
		if err != nil {
			return err
		}
		files, err := formFiles(form, evidence.FieldFile)
		if err != nil {
			return err
		}
		out, err := cw.UploadObjectionEvidence(c.Request().Context(), actor(c), c.Param("no"), files)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, EvidenceList{Evidence: out})
	})
	r.op(http.MethodGet, "/objections/:no/evidence", "listObjectionEvidence", func(c echo.Context) error {
		out, err := cw.ObjectionEvidence(c.Request().Context(), actor(c), c.Param("no"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, EvidenceList{Evidence: out})
	})
	r.op(http.MethodGet, "/objections/:no/evidence/:id", "downloadObjectionEvidence", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		f, err := cw.ObjectionEvidenceFile(c.Request().Context(), actor(c), c.Param("no"), id)
		if err != nil {
			return err
		}
		return sendFile(c, f)
	})
	r.op(http.MethodGet, "/objections/:no/documents", "listObjectionDocuments", func(c echo.Context) error {
		out, err := cw.ObjectionDocuments(c.Request().Context(), actor(c), c.Param("no"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, DocumentList{Documents: out})
	})
	r.op(http.MethodGet, "/objections/:no/documents/:id", "downloadObjectionDocument", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		f, err := cw.ObjectionDocument(c.Request().Context(), actor(c), c.Param("no"), id, c.QueryParam("format"))
		if err != nil {
			return err
		}
		return sendFile(c, f)
	})
}

// fileObjection reads a filing as JSON or multipart/form-data (grounds
// repeated, the evidence as "file" parts).
func (s *Server) fileObjection(c echo.Context) error {
	var in casework.FileObjection
	if isMultipart(c) {
		form, err := multipartForm(c, []string{"record_id", "grounds", "statement"}, "grounds")
		if err != nil {
			return err
		}
		if in.RecordID, err = formInt(form, "record_id"); err != nil {
			return err
		}
		in.Grounds, in.Statement = form.Value["grounds"], formText(form, "statement")
		if in.Evidence, err = formFiles(form, evidence.FieldFile); err != nil {
			return err
		}
	} else if err := readJSON(c, &in); err != nil {
		return err
	}
	out, err := s.app.Casework.FileObjection(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/objections/"+out.Case.CaseNo)
	return c.JSON(http.StatusCreated, out)
}

// Types shared by the case operations.
type (
	CaseSummary = casework.CaseSummary
	CasePage    = casework.CasePage
	Deadline    = casework.Deadline
	CaseEvent   = casework.CaseEvent
	Action      = casework.Action
)
