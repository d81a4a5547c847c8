package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/supervision"
)

// routesSupervision registers the supervisors' routes (issue 8): the
// deadline board, escalations and their handling, the provider performance
// report, the disclosure sweep runs, and every party's inbox.
//
// GET /escalations (state=open by default, state=all, party, case_no,
// before, limit) is served here, beside the handling actions.
func (s *Server) routesSupervision(v1 *echo.Group) {
	mw := []echo.MiddlewareFunc{s.authenticate(), s.csrf()}
	add := func(method, path string, h echo.HandlerFunc) { v1.Add(method, path, h, mw...) }
	sv := &supervisionHandlers{
		Server:      s,
		board:       &supervision.Board{Pool: s.Pool, Rules: s.Rules},
		escalations: &supervision.Escalations{Pool: s.Pool},
		report:      &supervision.Report{Pool: s.Pool},
		sweeps:      &supervision.Sweeper{Pool: s.Pool},
		inbox:       &supervision.Inbox{Pool: s.Pool},
	}
	add(http.MethodGet, "/board", sv.listBoard)
	add(http.MethodGet, "/escalations", sv.listEscalations)
	add(http.MethodGet, "/escalations/:id", sv.getEscalation)
	add(http.MethodPost, "/escalations/:id/acknowledge", sv.actOnEscalation(supervision.ActAcknowledge))
	add(http.MethodPost, "/escalations/:id/reassign", sv.actOnEscalation(supervision.ActReassign))
	add(http.MethodPost, "/escalations/:id/order-correction", sv.actOnEscalation(supervision.ActOrderCorrection))
	add(http.MethodGet, "/reports/provider-performance", sv.providerPerformance)
	add(http.MethodGet, "/sweep-runs/:id", sv.getSweepRun)
	add(http.MethodGet, "/inbox", sv.listInbox)
	add(http.MethodPost, "/inbox/:id/read", sv.markRead)
}

type supervisionHandlers struct {
	*Server
	board       *supervision.Board
	escalations *supervision.Escalations
	report      *supervision.Report
	sweeps      *supervision.Sweeper
	inbox       *supervision.Inbox
}

// supervisionErr maps the supervision package's errors to problems.
func supervisionErr(err error) error {
	var inv *supervision.ErrInvalid
	var conflict *supervision.ErrConflict
	switch {
	case errors.As(err, &inv):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid-input",
			Title:  Message{ZH: "输入有误", EN: "Invalid input"},
			Detail: Message{ZH: "请按字段错误修改后重新提交，未作任何更改", EN: "Correct the fields listed and resubmit; nothing was changed"},
			Fields: []Field{{Name: inv.Field, Code: "invalid", Message: Message{ZH: inv.ZH, EN: inv.EN}}}}
	case errors.As(err, &conflict):
		return &Error{Status: http.StatusConflict, Code: "conflict",
			Title:  Message{ZH: "当前状态不允许此操作", EN: "Not allowed in the current state"},
			Detail: Message{ZH: conflict.ZH, EN: conflict.EN}, Cause: err}
	case errors.Is(err, supervision.ErrNotFound):
		return notFound()
	}
	return err
}

// listBoard: GET /board?kind=&stage=&party=&provider=&light=&profile=&sort=due|-due&after=&limit=
func (h *supervisionHandlers) listBoard(c echo.Context) error {
	if _, err := h.require(c, "board", auth.Supervisor, auth.Caseworker); err != nil {
		return err
	}
	q := c.QueryParams()
	limit, err := limitParam(c)
	if err != nil {
		return err
	}
	f := supervision.BoardFilter{Kind: q.Get("kind"), Stage: q.Get("stage"), Party: q.Get("party"), Light: q.Get("light"),
		Profile: q.Get("profile"), After: q.Get("after"), Limit: limit}
	if p := q.Get("provider"); p != "" {
		id, err := int64Param("provider", p)
		if err != nil {
			return err
		}
		f.Party = fmt.Sprintf("provider:%d", id)
	}
	switch q.Get("sort") {
	case "", "due":
	case "-due":
		f.Desc = true
	default:
		return badParam("sort", "应为 due 或 -due", "must be due or -due")
	}
	switch f.Kind {
	case "", "objection", "listing", "repair":
	default:
		return badParam("kind", "应为 objection、listing 或 repair", "must be objection, listing or repair")
	}
	page, err := h.board.List(c.Request().Context(), f)
	if err != nil {
		return supervisionErr(err)
	}
	return c.JSON(http.StatusOK, page)
}

// listEscalations: GET /escalations?state=open|acknowledged|resolved|all&party=&case_no=&before=&limit=
func (h *supervisionHandlers) listEscalations(c echo.Context) error {
	if _, err := h.require(c, "escalation", auth.Supervisor, auth.Caseworker); err != nil {
		return err
	}
	limit, err := limitParam(c)
	if err != nil {
		return err
	}
	before, err := int64Param("before", c.QueryParam("before"))
	if err != nil {
		return err
	}
	state := c.QueryParam("state")
	switch state {
	case "":
		state = supervision.EscalationOpen
	case "all":
		state = ""
	}
	list, err := h.escalations.List(c.Request().Context(), supervision.EscalationFilter{
		State: state, Party: c.QueryParam("party"), CaseNo: c.QueryParam("case_no"), Before: before, Limit: limit})
	if err != nil {
		return supervisionErr(err)
	}
	out := map[string]any{"escalations": nonNil(list)}
	if limit == 0 {
		limit = 50
	}
	if n := len(list); n > 0 && n == limit {
		out["next_before"] = list[n-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

func (h *supervisionHandlers) getEscalation(c echo.Context) error {
	if _, err := h.require(c, "escalation", auth.Supervisor, auth.Caseworker); err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	e, err := h.escalations.Get(c.Request().Context(), id)
	if err != nil {
		return supervisionErr(err)
	}
	return c.JSON(http.StatusOK, e)
}

// escalationBody is the body of the handling actions; every field is
// optional except as the action needs it (assign_to for reassign, note
// for order-correction).
type escalationBody struct {
	Note     string `json:"note"`
	AssignTo int64  `json:"assign_to"`
}

func (h *supervisionHandlers) actOnEscalation(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := h.require(c, "escalation", auth.Supervisor)
		if err != nil {
			return err
		}
		id, err := pathID(c)
		if err != nil {
			return err
		}
		var body escalationBody
		if c.Request().ContentLength != 0 {
			if err := decodeBody(c, &body); err != nil {
				return err
			}
		}
		res, err := h.escalations.Act(c.Request().Context(), a.Actor(), id,
			supervision.Action{Action: action, Note: body.Note, AssignTo: body.AssignTo})
		if err != nil {
			return supervisionErr(err)
		}
		return c.JSON(http.StatusOK, res)
	}
}

// providerPerformance: GET /reports/provider-performance?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|csv.
// to defaults to today, from to the first day of to's month (Asia/Shanghai).
func (h *supervisionHandlers) providerPerformance(c echo.Context) error {
	if _, err := h.require(c, "report", auth.Supervisor); err != nil {
		return err
	}
	to := calendar.DateOf(time.Now())
	if v := c.QueryParam("to"); v != "" {
		d, err := calendar.ParseDate(v)
		if err != nil {
			return badParam("to", "应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD")
		}
		to = d
	}
	from := calendar.NewDate(to.Year, to.Month, 1)
	if v := c.QueryParam("from"); v != "" {
		d, err := calendar.ParseDate(v)
		if err != nil {
			return badParam("from", "应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD")
		}
		from = d
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		return badParam("format", "应为 json 或 csv", "must be json or csv")
	}
	rep, err := h.report.Providers(c.Request().Context(), from, to)
	if err != nil {
		return supervisionErr(err)
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
}

// getSweepRun returns the summary of a disclosure sweep run (its workflow ID).
func (h *supervisionHandlers) getSweepRun(c echo.Context) error {
	if _, err := h.require(c, "sweep-run", auth.Supervisor, auth.Admin); err != nil {
		return err
	}
	r, err := h.sweeps.Run(c.Request().Context(), c.Param("id"))
	if err != nil {
		return supervisionErr(err)
	}
	return c.JSON(http.StatusOK, r)
}

// inboxOwner is whose notices the caller reads: caseworkers the centre's,
// supervisors the credit authority's, provider staff their provider's,
// a subject its own cases'.
func (h *supervisionHandlers) inboxOwner(c echo.Context) (supervision.InboxOwner, error) {
	a, err := h.require(c, "inbox", auth.Caseworker, auth.Supervisor, auth.Provider, auth.Subject)
	if err != nil {
		return supervision.InboxOwner{}, err
	}
	switch a.Role {
	case auth.Caseworker:
		return supervision.InboxOwner{Party: "centre"}, nil
	case auth.Supervisor:
		return supervision.InboxOwner{Party: "supervisor"}, nil
	case auth.Provider:
		return supervision.InboxOwner{Party: "provider:" + strconv.FormatInt(a.ProviderID, 10)}, nil
	}
	return supervision.InboxOwner{Party: "subject", SubjectID: a.SubjectID}, nil
}

// listInbox: GET /inbox?unread=true&before=&limit=
func (h *supervisionHandlers) listInbox(c echo.Context) error {
	o, err := h.inboxOwner(c)
	if err != nil {
		return err
	}
	limit, err := limitParam(c)
	if err != nil {
		return err
	}
	before, err := int64Param("before", c.QueryParam("before"))
	if err != nil {
		return err
	}
	unread := false
	switch strings.ToLower(c.QueryParam("unread")) {
	case "", "false", "0":
	case "true", "1":
		unread = true
	default:
		return badParam("unread", "应为 true 或 false", "must be true or false")
	}
	list, err := h.inbox.List(c.Request().Context(), o, supervision.InboxFilter{Unread: unread, Before: before, Limit: limit})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": nonNil(list)})
}

// markRead: POST /inbox/{id}/read. Another party's notice is 404.
func (h *supervisionHandlers) markRead(c echo.Context) error {
	o, err := h.inboxOwner(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	n, err := h.inbox.MarkRead(c.Request().Context(), o, id)
	if err != nil {
		return supervisionErr(err)
	}
	return c.JSON(http.StatusOK, n)
}
