package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/workflows"
)

// objectionActions are the refusable steps of an objection case (DESIGN.md
// §2.1), each an Update of the case's workflow, and who may take them. The
// path segment is the update name.
var objectionActions = []objectionAction{
	// subject (信息主体)
	action(workflows.ObjectionSupplement, []auth.Role{auth.Subject}, func(in *workflows.SupplementInput, by workflows.Actor) []string {
		in.By = by
		return in.Evidence
	}),
	action(workflows.ObjectionWithdraw, []auth.Role{auth.Subject}, func(in *workflows.WithdrawInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}),
	action(workflows.ObjectionAppeal, []auth.Role{auth.Subject}, func(in *workflows.AppealInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}),
	// caseworker (工作机构)
	action(workflows.ObjectionAccept, []auth.Role{auth.Caseworker}, func(in *workflows.AcceptInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}),
	action(workflows.ObjectionRequestSupplement, []auth.Role{auth.Caseworker}, func(in *workflows.SupplementRequest, by workflows.Actor) []string {
		in.By = by
		return nil
	}),
	action(workflows.ObjectionDecideOwnError, []auth.Role{auth.Caseworker}, func(in *workflows.OwnErrorInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}, correctionOf(func(in *workflows.OwnErrorInput) map[string]any { return in.Correction })),
	action(workflows.ObjectionForwardToProvider, []auth.Role{auth.Caseworker}, func(in *workflows.ForwardInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}),
	action(workflows.ObjectionDecide, []auth.Role{auth.Caseworker}, func(in *workflows.DecisionInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}, correctionOf(func(in *workflows.DecisionInput) map[string]any { return in.Correction })),
	action(workflows.ObjectionPause, []auth.Role{auth.Caseworker}, func(in *workflows.PauseInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}),
	action(workflows.ObjectionResume, []auth.Role{auth.Caseworker}, func(in *workflows.ResumeInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}),
	action(workflows.ObjectionExtend, []auth.Role{auth.Caseworker}, func(in *workflows.ExtendInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}),
	// provider (信息提供单位)
	action(workflows.ObjectionProviderReply, []auth.Role{auth.Provider}, func(in *workflows.ProviderReplyInput, by workflows.Actor) []string {
		in.By = by
		return in.Evidence
	}, correctionOf(func(in *workflows.ProviderReplyInput) map[string]any { return in.Correction })),
	// supervisor (信用管理部门)
	action(workflows.ObjectionDecideAppeal, []auth.Role{auth.Supervisor}, func(in *workflows.AppealDecisionInput, by workflows.Actor) []string {
		in.By = by
		return nil
	}, correctionOf(func(in *workflows.AppealDecisionInput) map[string]any { return in.Correction })),
}

// routesObjections registers the objection procedure (异议处理): filing,
// inboxes, case detail, every action, evidence and written notices. The
// supervisors' escalations are in routesSupervision. Each handler authorises
// its caller itself.
func (s *Server) routesObjections(v1 *echo.Group) {
	mw := []echo.MiddlewareFunc{s.authenticate(), s.csrf()}
	add := func(method, path string, h echo.HandlerFunc) { v1.Add(method, path, h, mw...) }

	add(http.MethodPost, "/objections", s.fileObjection)
	add(http.MethodGet, "/objections", s.listObjections)
	add(http.MethodGet, "/objections/:no", s.getObjection)
	for _, a := range objectionActions {
		add(http.MethodPost, "/objections/:no/"+a.name, s.objectionAction(a))
	}
	add(http.MethodPost, "/objections/:no/evidence", s.uploadEvidence)
	add(http.MethodGet, "/objections/:no/evidence", s.listEvidence)
	add(http.MethodGet, "/objections/:no/evidence/:id", s.downloadEvidence)
	add(http.MethodGet, "/objections/:no/documents", s.listCaseDocuments)
	add(http.MethodGet, "/objections/:no/documents/:id", s.downloadDocument)
}
