package casework

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/failing"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/supervision"
)

// supervisionErr maps the supervision package's errors to refusals.
func supervisionErr(err error) error {
	var inv *supervision.ErrInvalid
	var conflict *supervision.ErrConflict
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inv):
		return refusal.BadParam(inv.Field, "invalid", refusal.T(inv.ZH, inv.EN))
	case errors.As(err, &conflict):
		return &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("当前状态不允许此操作", "Not allowed in the current state"),
			Detail: refusal.T(conflict.ZH, conflict.EN), Cause: err}
	case errors.Is(err, supervision.ErrNotFound):
		return refusal.NotFoundErr()
	}
	return faults.Database(err)
}

// BoardFilter selects the board's deadlines.
type BoardFilter struct {
	Kind     string `query:"kind"`
	Stage    string `query:"stage"`
	Party    string `query:"party"`
	Provider int64  `query:"provider"`
	Light    string `query:"light"`
	Profile  string `query:"profile"`
	Sort     string `query:"sort"` // due (default) | -due
	After    string `query:"after"`
	Limit    int    `query:"limit"`
}

// BoardRow is one open deadline of the board: the deadline in the one
// deadline shape, its case and its light.
type BoardRow struct {
	CaseNo          string `json:"case_no"`
	Kind            string `json:"kind"`
	Stage           string `json:"stage"`
	Profile         string `json:"profile"`
	Light           string `json:"light"`
	WorkingDaysLeft *int   `json:"working_days_left,omitempty"`
	Deadline
	// ProvisionalNote says why a provisional deadline may move (its year's
	// schedule is not published yet).
	ProvisionalNote string `json:"provisional_note,omitempty"`
}

// BoardPage is a page of the board.
type BoardPage struct {
	AsOf time.Time `json:"as_of"`
	// Warnings for the operator, e.g. next year's holiday schedule still
	// missing from 1 November.
	Warnings []string `json:"warnings,omitempty"`
	// Failing (first page only) are the open cases held up by an activity
	// that keeps failing on the worker, and why (a font, a calendar year…).
	Failing []failing.Activity `json:"failing,omitempty"`
	// Escalated (first page only) are the steps of open cases that stopped
	// on a data error and wait for a supervisor, oldest first.
	Escalated []StoppedStep `json:"escalated,omitempty"`
	Rows      []BoardRow    `json:"items"`
	Next      string        `json:"next,omitempty"`
	// DeadDeliveries counts the events a subscriber never received
	// (GET /deliveries?state=dead lists them; a supervisor re-sends).
	DeadDeliveries int `json:"dead_deliveries"`
}

// Board is the deadline board (red/yellow/green) for the centre and the
// supervisors.
func (s *Service) Board(ctx context.Context, a permission.Actor, f BoardFilter) (BoardPage, error) {
	if err := s.guard.Require(ctx, a, "getBoard"); err != nil {
		return BoardPage{}, err
	}
	sf := supervision.BoardFilter{Kind: f.Kind, Stage: f.Stage, Party: f.Party, Light: f.Light, Profile: f.Profile, After: f.After, Limit: f.Limit}
	if f.Provider > 0 {
		sf.Party = fmt.Sprintf("provider:%d", f.Provider)
	}
	switch f.Sort {
	case "", "due":
	case "-due":
		sf.Desc = true
	default:
		return BoardPage{}, refusal.BadParam("sort", "enum", refusal.T("应为 due 或 -due", "must be due or -due"))
	}
	if err := enumParam("kind", f.Kind, []string{"objection", "listing", "repair"}); err != nil {
		return BoardPage{}, err
	}
	if f.Limit < 0 || f.Limit > supervision.MaxPage {
		return BoardPage{}, refusal.BadParam("limit", "range", refusal.T(fmt.Sprintf("应为 1–%d", supervision.MaxPage), fmt.Sprintf("must be 1–%d", supervision.MaxPage)))
	}
	page, err := s.board.List(ctx, sf)
	if err != nil {
		return BoardPage{}, supervisionErr(err)
	}
	out := BoardPage{AsOf: shanghai(page.AsOf), Warnings: page.Warnings, Failing: page.Failing, Rows: make([]BoardRow, 0, len(page.Items)),
		Next: page.Next, DeadDeliveries: page.DeadDeliveries}
	if f.After == "" {
		if out.Escalated, err = s.escalatedOpen(ctx, supervision.MaxPage); err != nil {
			return BoardPage{}, faults.Database(err)
		}
	}
	for _, it := range page.Items {
		out.Rows = append(out.Rows, BoardRow{CaseNo: it.CaseNo, Kind: it.Kind, Stage: it.Stage, Profile: it.Profile, Light: it.Light,
			WorkingDaysLeft: it.DaysLeft, Deadline: Deadline{Rule: it.Rule, Seq: it.Seq, Party: it.Party, StartsAt: shanghai(it.StartsAt),
				N: it.N, Unit: it.Unit, ExtraWD: it.ExtraWD, DueDate: it.Due, DueAt: shanghai(it.DueAt), RemindAt: shanghaiPtr(it.RemindAt),
				CalendarVersion: it.CalendarVersion, Provisional: it.Provisional, Explanation: it.Explanation, Source: it.Source, State: it.State},
			ProvisionalNote: it.ProvisionalNote})
	}
	return out, nil
}

// EscalationFilter selects escalations (state open by default; all for
// every state).
type EscalationFilter struct {
	State  string `query:"state"`
	Party  string `query:"party"`
	CaseNo string `query:"case_no"`
	Before int64  `query:"before"`
	Limit  int    `query:"limit"`
}

// EscalationPage is a page of escalations.
type EscalationPage struct {
	Escalations []supervision.EscalationRow `json:"escalations"`
	NextBefore  int64                       `json:"next_before,omitempty"`
}

// Escalations lists escalations, newest first.
func (s *Service) Escalations(ctx context.Context, a permission.Actor, f EscalationFilter) (EscalationPage, error) {
	if err := s.guard.Require(ctx, a, "listEscalations"); err != nil {
		return EscalationPage{}, err
	}
	if err := checkLimit(f.Limit); err != nil {
		return EscalationPage{}, err
	}
	state := f.State
	switch state {
	case "":
		state = supervision.EscalationOpen
	case "all":
		state = ""
	}
	list, err := s.escalations.List(ctx, supervision.EscalationFilter{State: state, Party: f.Party, CaseNo: f.CaseNo, Before: f.Before, Limit: f.Limit})
	if err != nil {
		return EscalationPage{}, supervisionErr(err)
	}
	out := EscalationPage{Escalations: nonNil(list)}
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	if n := len(list); n > 0 && n == limit {
		out.NextBefore = list[n-1].ID
	}
	return out, nil
}

func checkLimit(limit int) error {
	if limit < 0 || limit > records.MaxPage {
		return refusal.BadParam("limit", "range", refusal.T(fmt.Sprintf("应为 1–%d", records.MaxPage), fmt.Sprintf("must be 1–%d", records.MaxPage)))
	}
	return nil
}

// Escalation reads one escalation.
func (s *Service) Escalation(ctx context.Context, a permission.Actor, id int64) (supervision.EscalationRow, error) {
	if err := s.guard.Require(ctx, a, "getEscalation"); err != nil {
		return supervision.EscalationRow{}, err
	}
	e, err := s.escalations.Get(ctx, id)
	return e, supervisionErr(err)
}

// EscalationAction is the body of a handling action; every field is
// optional except as the action needs it (assign_to for reassign, note
// for order-correction).
type EscalationAction struct {
	Note     string `json:"note,omitempty" text:"multiline,max=2000"`
	AssignTo int64  `json:"assign_to,omitempty"`
}

// Escalation handling actions and their use cases.
var escalationActions = map[string]permission.UseCase{
	supervision.ActAcknowledge:     "acknowledgeEscalation",
	supervision.ActReassign:        "reassignEscalation",
	supervision.ActOrderCorrection: "orderEscalationCorrection",
}

// ActOnEscalation acknowledges, reassigns or orders a correction.
func (s *Service) ActOnEscalation(ctx context.Context, a permission.Actor, id int64, action string, in EscalationAction) (supervision.ActionResult, error) {
	uc, ok := escalationActions[action]
	if !ok {
		return supervision.ActionResult{}, refusal.NotFoundErr()
	}
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return supervision.ActionResult{}, err
	}
	if err := cleanInput(&in); err != nil {
		return supervision.ActionResult{}, err
	}
	res, err := s.escalations.Act(ctx, a.Audit(), id, supervision.Action{Action: action, Note: in.Note, AssignTo: in.AssignTo})
	if err != nil {
		var inv *supervision.ErrInvalid
		if errors.As(err, &inv) {
			return res, refusal.Invalid(refusal.Field{Name: inv.Field, Code: "invalid", Message: refusal.T(inv.ZH, inv.EN)})
		}
	}
	return res, supervisionErr(err)
}

// ReportPeriod is the period of a report: to defaults to today, from to
// the first day of to's month (Asia/Shanghai).
type ReportPeriod struct {
	From string `query:"from"`
	To   string `query:"to"`
}

// ProviderPerformance is the provider performance report.
func (s *Service) ProviderPerformance(ctx context.Context, a permission.Actor, p ReportPeriod) (supervision.ProviderReport, error) {
	if err := s.guard.Require(ctx, a, "getProviderPerformance"); err != nil {
		return supervision.ProviderReport{}, err
	}
	to := calendar.DateOf(s.now())
	if p.To != "" {
		d, err := calendar.ParseDate(p.To)
		if err != nil {
			return supervision.ProviderReport{}, refusal.BadParam("to", "format", refusal.T("应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"))
		}
		to = d
	}
	from := calendar.NewDate(to.Year, to.Month, 1)
	if p.From != "" {
		d, err := calendar.ParseDate(p.From)
		if err != nil {
			return supervision.ProviderReport{}, refusal.BadParam("from", "format", refusal.T("应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"))
		}
		from = d
	}
	rep, err := s.report.Providers(ctx, from, to)
	return rep, supervisionErr(err)
}

// SweepRun is the summary of a disclosure sweep run (its workflow ID).
func (s *Service) SweepRun(ctx context.Context, a permission.Actor, id string) (supervision.SweepRun, error) {
	if err := s.guard.Require(ctx, a, "getSweepRun"); err != nil {
		return supervision.SweepRun{}, err
	}
	r, err := s.sweeps.Run(ctx, id)
	return r, supervisionErr(err)
}

// inboxOwner is whose notices the caller reads: caseworkers the centre's,
// supervisors the credit authority's, provider staff their provider's, a
// subject its own cases'.
func inboxOwner(a permission.Actor) supervision.InboxOwner {
	switch a.Role() {
	case auth.Caseworker:
		return supervision.InboxOwner{Party: "centre"}
	case auth.Supervisor:
		return supervision.InboxOwner{Party: "supervisor"}
	case auth.Provider:
		return supervision.InboxOwner{Party: "provider:" + strconv.FormatInt(a.Account.ProviderID, 10)}
	}
	return supervision.InboxOwner{Party: "subject", SubjectID: a.Account.SubjectID}
}

// InboxFilter selects notices.
type InboxFilter struct {
	Unread bool  `query:"unread"`
	Before int64 `query:"before"`
	Limit  int   `query:"limit"`
}

// Inbox lists the caller's notices, newest first.
func (s *Service) Inbox(ctx context.Context, a permission.Actor, f InboxFilter) ([]supervision.Notification, error) {
	if err := s.guard.Require(ctx, a, "listInbox"); err != nil {
		return nil, err
	}
	if err := checkLimit(f.Limit); err != nil {
		return nil, err
	}
	list, err := s.inbox.List(ctx, inboxOwner(a), supervision.InboxFilter{Unread: f.Unread, Before: f.Before, Limit: f.Limit})
	return nonNil(list), supervisionErr(err)
}

// MarkRead marks one of the caller's notices read; another's is 404.
func (s *Service) MarkRead(ctx context.Context, a permission.Actor, id int64) (supervision.Notification, error) {
	if err := s.guard.Require(ctx, a, "markNotificationRead"); err != nil {
		return supervision.Notification{}, err
	}
	n, err := s.inbox.MarkRead(ctx, inboxOwner(a), id)
	return n, supervisionErr(err)
}

// cleanInput is the clean-text check of an input (422 naming the fields).
func cleanInput(in any) error {
	return cleantext.Refuse(in)
}
