package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/calendaradmin"
	"github.com/creditcase/creditcase/internal/refusal"
)

// routesCalendar serves the calendar's life in production (issue 17): the
// operator's view, imports of a year or an overlay, the recompute runs.
func (s *Server) routesCalendar(r *router) {
	cal := s.app.Calendar
	r.op(http.MethodGet, "/admin/calendar", "getCalendarStatus", func(c echo.Context) error {
		st, err := cal.CalendarStatus(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, st)
	})
	r.op(http.MethodPost, "/admin/calendar/imports", "importCalendar", func(c echo.Context) error {
		var in calendaradmin.ImportInput
		if err := readJSON(c, &in); err != nil {
			return err
		}
		out, err := cal.ImportCalendar(c.Request().Context(), actor(c), in)
		if err != nil {
			return err
		}
		if out.DryRun {
			return c.JSON(http.StatusOK, out)
		}
		return c.JSON(http.StatusCreated, out)
	})
	r.op(http.MethodGet, "/admin/calendar/recomputes/:rev", "getCalendarRecompute", func(c echo.Context) error {
		rev, err := strconv.ParseInt(c.Param("rev"), 10, 64)
		if err != nil {
			return refusal.BadParam("rev", "format", refusal.T("应为日历修订号", "must be a calendar revision number"))
		}
		p, err := cal.CalendarRecompute(c.Request().Context(), actor(c), rev)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	})
}
