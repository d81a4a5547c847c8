package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/downstream"
	"github.com/creditcase/creditcase/internal/refusal"
)

// routesDownstream registers what leaves the centre (the pull feed, the
// deliveries to subscribers, a supervisor's re-send) and the reconciler on
// demand with its findings.
func (s *Server) routesDownstream(r *router) {
	ds := s.app.Downstream
	r.op(http.MethodGet, "/feed", "readFeed", func(c echo.Context) error {
		var q downstream.FeedQuery
		if err := bindQuery(c, &q); err != nil {
			return err
		}
		page, err := ds.ReadFeed(c.Request().Context(), actor(c), q)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
	r.op(http.MethodGet, "/deliveries", "listDeliveries", func(c echo.Context) error {
		var q downstream.DeliveryQuery
		if err := bindQuery(c, &q); err != nil {
			return err
		}
		page, err := ds.ListDeliveries(c.Request().Context(), actor(c), q)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
	r.op(http.MethodPost, "/deliveries/:subscriber/:event/resend", "resendDelivery", func(c echo.Context) error {
		id, err := strconv.ParseInt(c.Param("event"), 10, 64)
		if err != nil || id <= 0 {
			return refusal.BadParam("event", "format", refusal.T("事件编号应为正整数", "an event id is a positive integer"))
		}
		var in downstream.ResendInput
		if err := readJSON(c, &in); err != nil {
			return err
		}
		d, err := ds.ResendDelivery(c.Request().Context(), actor(c), c.Param("subscriber"), id, in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, d)
	})
	r.op(http.MethodPost, "/reconciliations", "runReconciliation", func(c echo.Context) error {
		run, err := ds.RunReconciliation(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, run)
	})
	r.op(http.MethodGet, "/reconciliations/findings", "listReconcileFindings", func(c echo.Context) error {
		var q downstream.FindingQuery
		if err := bindQuery(c, &q); err != nil {
			return err
		}
		fs, err := ds.ListReconcileFindings(c.Request().Context(), actor(c), q)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"findings": fs})
	})
}
