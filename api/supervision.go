package api

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/supervision"
)

// routesSupervision registers the supervisors' routes: the deadline board,
// escalations and their handling, the provider performance report, the
// disclosure sweep runs, and every party's inbox.
func (s *Server) routesSupervision(r *router) {
	cw := s.app.Casework
	r.op(http.MethodGet, "/board", "getBoard", func(c echo.Context) error {
		var f casework.BoardFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		page, err := cw.Board(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
	r.op(http.MethodGet, "/worklist", "getWorklist", func(c echo.Context) error {
		var f casework.WorklistFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		page, err := cw.Worklist(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
	r.op(http.MethodGet, "/escalations", "listEscalations", func(c echo.Context) error {
		var f casework.EscalationFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		out, err := cw.Escalations(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
	r.op(http.MethodPost, "/cases/:no/resolve-escalated-step", "resolveEscalatedStep", func(c echo.Context) error {
		var in casework.StepResolution
		if err := readJSON(c, &in); err != nil {
			return err
		}
		out, err := cw.ResolveEscalatedStep(c.Request().Context(), actor(c), c.Param("no"), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
	r.op(http.MethodGet, "/escalations/:id", "getEscalation", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		out, err := cw.Escalation(c.Request().Context(), actor(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
	for action, uc := range map[string]string{
		supervision.ActAcknowledge:     "acknowledgeEscalation",
		supervision.ActReassign:        "reassignEscalation",
		supervision.ActOrderCorrection: "orderEscalationCorrection",
	} {
		r.op(http.MethodPost, "/escalations/:id/"+action, uc, func(c echo.Context) error {
			id, err := pathInt(c, "id")
			if err != nil {
				return err
			}
			var in casework.EscalationAction
			if err := readJSON(c, &in); err != nil {
				return err
			}
			out, err := cw.ActOnEscalation(c.Request().Context(), actor(c), id, action, in)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, out)
		})
	}
	r.op(http.MethodGet, "/reports/provider-performance", "getProviderPerformance", func(c echo.Context) error {
		var p casework.ReportPeriod
		if err := bindQuery(c, &p); err != nil {
			return err
		}
		format := c.QueryParam("format")
		if format != "" && format != "json" && format != "csv" {
			return refusal.BadParam("format", "enum", refusal.T("应为 json 或 csv", "must be json or csv"))
		}
		rep, err := cw.ProviderPerformance(c.Request().Context(), actor(c), p)
		if err != nil {
			return err
		}
		if format != "csv" {
			return c.JSON(http.StatusOK, rep)
		}
		var buf bytes.Buffer
		if err := rep.WriteCSV(&buf); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition,
			fmt.Sprintf(`attachment; filename="provider-performance-%s-%s.csv"`, rep.From, rep.To))
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	})
	r.op(http.MethodGet, "/sweep-runs/:id", "getSweepRun", func(c echo.Context) error {
		out, err := cw.SweepRun(c.Request().Context(), actor(c), c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
	r.op(http.MethodGet, "/inbox", "listInbox", func(c echo.Context) error {
		var f casework.InboxFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		out, err := cw.Inbox(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, NotificationList{Notifications: out})
	})
	r.op(http.MethodPost, "/inbox/:id/read", "markNotificationRead", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		out, err := cw.MarkRead(c.Request().Context(), actor(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
}
