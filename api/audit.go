package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
)

// listEvents shows the event log to supervisors, newest first.
func (s *Server) listEvents(c echo.Context) error {
	if _, err := s.require(c, "audit_events", auth.Supervisor); err != nil {
		return err
	}
	f := audit.EventFilter{Action: c.QueryParam("action"), ObjectType: c.QueryParam("object_type"), ObjectID: c.QueryParam("object_id")}
	var err error
	if f.AccountID, err = int64Param("account_id", c.QueryParam("account_id")); err != nil {
		return err
	}
	if f.Before, err = int64Param("before", c.QueryParam("before")); err != nil {
		return err
	}
	if f.Limit, err = limitParam(c); err != nil {
		return err
	}
	evs, err := audit.Events(c.Request().Context(), s.Pool, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"events": nonNil(evs)})
}

// listQueries shows the query log to supervisors, newest first.
func (s *Server) listQueries(c echo.Context) error {
	if _, err := s.require(c, "query_log", auth.Supervisor); err != nil {
		return err
	}
	var f audit.QueryFilter
	var err error
	if f.RecordID, err = int64Param("record_id", c.QueryParam("record_id")); err != nil {
		return err
	}
	if f.AccountID, err = int64Param("account_id", c.QueryParam("account_id")); err != nil {
		return err
	}
	if f.Before, err = int64Param("before", c.QueryParam("before")); err != nil {
		return err
	}
	if f.Limit, err = limitParam(c); err != nil {
		return err
	}
	qs, err := audit.Queries(c.Request().Context(), s.Pool, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"queries": nonNil(qs)})
}
