package casework

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/caseno"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/failing"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/reqid"
)

func requestID(ctx context.Context) string { return reqid.From(ctx) }

// Deadline is THE shape of a deadline everywhere (case lists, case
// details, the live state after a step, the board): the due date and the
// due instant in Asia/Shanghai, the rule and who must act, how it was
// counted and explained, whether it is provisional, and what became of it.
type Deadline struct {
	Rule            string     `json:"rule"`
	Seq             int        `json:"seq"`
	Party           string     `json:"party"`
	StartsAt        time.Time  `json:"starts_at"`
	N               int        `json:"n"`
	Unit            string     `json:"unit"`
	ExtraWD         int        `json:"extra_wd"`
	DueDate         string     `json:"due_date"`
	DueAt           time.Time  `json:"due_at"`
	RemindAt        *time.Time `json:"remind_at,omitempty"`
	CalendarVersion string     `json:"calendar_version"`
	Provisional     bool       `json:"provisional"`
	Explanation     string     `json:"explanation"`
	Source          string     `json:"source"`
	State           string     `json:"state"` // pending | met | missed | superseded | cancelled
	SettledAt       *time.Time `json:"settled_at,omitempty"`
	Reason          string     `json:"reason,omitempty"`
}

// shanghai renders an instant in Asia/Shanghai.
func shanghai(t time.Time) time.Time { return t.In(calendar.Shanghai) }

func shanghaiPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	v := shanghai(*t)
	return &v
}

// DeadlineOf is the shape of a deadline the workflow keeps.
func DeadlineOf(d activities.Deadline) Deadline {
	out := Deadline{Rule: d.Rule, Seq: d.Seq, Party: d.Party, StartsAt: shanghai(d.Start), N: d.N, Unit: string(d.Unit),
		ExtraWD: d.Extra, DueDate: d.Due.String(), DueAt: shanghai(d.DueAt), CalendarVersion: d.Version,
		Provisional: d.Provisional, Explanation: d.Explanation, Source: d.Source, State: d.State}
	if !d.RemindAt.IsZero() {
		out.RemindAt = shanghaiPtr(&d.RemindAt)
	}
	return out
}

func deadlinesOf(ds []activities.Deadline) []Deadline {
	out := make([]Deadline, 0, len(ds))
	for _, d := range ds {
		out = append(out, DeadlineOf(d))
	}
	return out
}

const deadlineColumns = `d.rule_id, d.seq, d.party, d.starts_at, d.n, d.unit, d.extra_wd, d.due_date, d.due_at, d.remind_at,
	d.calendar_version, d.provisional, d.explanation, d.source, d.state, d.settled_at, d.reason`

func scanDeadline(r pgx.Row) (Deadline, error) {
	var d Deadline
	var due time.Time
	err := r.Scan(&d.Rule, &d.Seq, &d.Party, &d.StartsAt, &d.N, &d.Unit, &d.ExtraWD, &due, &d.DueAt, &d.RemindAt,
		&d.CalendarVersion, &d.Provisional, &d.Explanation, &d.Source, &d.State, &d.SettledAt, &d.Reason)
	d.DueDate = due.Format(time.DateOnly)
	d.StartsAt, d.DueAt = shanghai(d.StartsAt), shanghai(d.DueAt)
	d.RemindAt, d.SettledAt = shanghaiPtr(d.RemindAt), shanghaiPtr(d.SettledAt)
	return d, err
}

// CaseSummary is a case as the projection holds it, with its next
// deadline: a row of an inbox or list.
type CaseSummary struct {
	CaseNo         string     `json:"case_no"`
	Kind           string     `json:"kind"`
	RecordID       int64      `json:"record_id"`
	SubjectID      int64      `json:"subject_id"`
	ProviderID     int64      `json:"provider_id"`
	ProfileID      string     `json:"profile_id"`
	ProfileVersion string     `json:"profile_version"`
	Stage          string     `json:"stage"`
	Status         string     `json:"status"`
	Outcome        string     `json:"outcome,omitempty"`
	NextDeadline   *Deadline  `json:"next_deadline,omitempty"`
	OpenedAt       time.Time  `json:"opened_at"`
	AcceptedAt     *time.Time `json:"accepted_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Failing are the case's activities that keep failing on the worker
	// (what holds the case up, e.g. a missing font); set on a case's own
	// page and steps, not in lists.
	Failing []failing.Activity `json:"failing,omitempty"`
	// Escalated is the step of the case that stopped on a data error and
	// waits for a supervisor (retry it or close the case); set on a case's
	// own page and steps, not in lists.
	Escalated *StoppedStep `json:"escalated,omitempty"`
	// WorkflowLost is when the reconciler found the case's workflow gone
	// while the case was not finished (a decided objection in its appeal
	// window): no step can be taken in the system until a person decides,
	// and a step is answered 409 workflow-lost. Set on a case's own page
	// and steps, not in lists; cleared once the workflow runs and writes
	// the case again.
	WorkflowLost *time.Time `json:"workflow_lost_at,omitempty"`
}

const caseColumns = `c.case_no, c.kind, c.record_id, c.subject_id, c.provider_id, c.profile_id, c.profile_version,
	c.stage, c.status, c.outcome, c.opened_at, c.accepted_at, c.closed_at, c.updated_at, d.rule_id IS NOT NULL, ` +
	`coalesce(d.rule_id, ''), coalesce(d.seq, 0), coalesce(d.party, ''), coalesce(d.starts_at, 'epoch'), coalesce(d.n, 0),
	coalesce(d.unit, ''), coalesce(d.extra_wd, 0), coalesce(d.due_date, 'epoch'), coalesce(d.due_at, 'epoch'), d.remind_at,
	coalesce(d.calendar_version, ''), coalesce(d.provisional, false), coalesce(d.explanation, ''), coalesce(d.source, ''),
	coalesce(d.state, ''), d.settled_at, coalesce(d.reason, '')
	FROM cases c LEFT JOIN LATERAL (
		SELECT * FROM case_deadlines d
		WHERE d.case_no = c.case_no AND d.state = 'pending' ORDER BY d.due_at LIMIT 1) d ON true`

func scanCase(row pgx.Row) (CaseSummary, error) {
	var cs CaseSummary
	var hasNext bool
	var d Deadline
	var due time.Time
	err := row.Scan(&cs.CaseNo, &cs.Kind, &cs.RecordID, &cs.SubjectID, &cs.ProviderID, &cs.ProfileID, &cs.ProfileVersion,
		&cs.Stage, &cs.Status, &cs.Outcome, &cs.OpenedAt, &cs.AcceptedAt, &cs.ClosedAt, &cs.UpdatedAt, &hasNext,
		&d.Rule, &d.Seq, &d.Party, &d.StartsAt, &d.N, &d.Unit, &d.ExtraWD, &due, &d.DueAt, &d.RemindAt,
		&d.CalendarVersion, &d.Provisional, &d.Explanation, &d.Source, &d.State, &d.SettledAt, &d.Reason)
	if err != nil {
		return cs, err
	}
	cs.OpenedAt, cs.UpdatedAt = shanghai(cs.OpenedAt), shanghai(cs.UpdatedAt)
	cs.AcceptedAt, cs.ClosedAt = shanghaiPtr(cs.AcceptedAt), shanghaiPtr(cs.ClosedAt)
	if hasNext {
		d.DueDate = due.Format(time.DateOnly)
		d.StartsAt, d.DueAt = shanghai(d.StartsAt), shanghai(d.DueAt)
		d.RemindAt, d.SettledAt = shanghaiPtr(d.RemindAt), shanghaiPtr(d.SettledAt)
		cs.NextDeadline = &d
	}
	return cs, nil
}

// caseVisible reports whether a may see the case: its own (subject), about
// a record it supplied (provider), any (centre staff).
func caseVisible(a permission.Actor, cs CaseSummary) bool {
	switch a.Role() {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return cs.SubjectID == a.Account.SubjectID
	case auth.Provider:
		return cs.ProviderID == a.Account.ProviderID
	}
	return false
}

// CheckCaseNo refuses a malformed case number (400 naming the parameter).
func CheckCaseNo(no string) error {
	if !caseno.Valid(no) {
		return refusal.BadParam("no", "format", refusal.T(
			"案件编号格式不正确，应如 YY-2026-000123（异议）、LB-2026-000123（列入）、XF-2026-000123（修复）",
			"not a case number; numbers look like YY-2026-000123 (objection), LB-2026-000123 (listing), XF-2026-000123 (repair)"))
	}
	return nil
}

// openCase checks that uc is the actor's to take, reads case no of kind and
// checks the actor may see it (404 otherwise, as for a case that does not
// exist).
func (s *Service) openCase(ctx context.Context, a permission.Actor, uc permission.UseCase, kind, no string) (CaseSummary, error) {
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return CaseSummary{}, err
	}
	if err := CheckCaseNo(no); err != nil {
		return CaseSummary{}, err
	}
	cs, err := scanCase(s.d.Pool.QueryRow(ctx, `SELECT `+caseColumns+` WHERE c.case_no = ANY($1) AND c.kind = $2`,
		caseno.Spellings(no), kind))
	if db.IsNoRows(err) {
		return cs, refusal.NotFoundErr()
	}
	if err != nil {
		return cs, faults.Database(err)
	}
	if !caseVisible(a, cs) {
		return cs, s.guard.Hide(ctx, a, uc, kind, cs.CaseNo)
	}
	if cs.Failing, err = failing.OfCase(ctx, s.d.Pool, cs.CaseNo); err != nil {
		return cs, faults.Database(err)
	}
	if len(cs.Failing) == 0 {
		cs.Failing = nil
	}
	if cs.Escalated, err = s.escalatedOf(ctx, cs.CaseNo); err != nil {
		return cs, faults.Database(err)
	}
	if err := s.d.Pool.QueryRow(ctx, `SELECT workflow_lost_at FROM cases WHERE case_no = $1`, cs.CaseNo).Scan(&cs.WorkflowLost); err != nil {
		return cs, faults.Database(err)
	}
	cs.WorkflowLost = shanghaiPtr(cs.WorkflowLost)
	if cs.WorkflowLost != nil && s.runsAgain(ctx, cs) {
		cs.WorkflowLost = nil
	}
	return cs, nil
}

// runsAgain reports whether the workflow of a case the reconciler marked
// lost runs again (an operator reset it with Temporal's workflow reset),
// and if so clears the mark: the case offers its steps again at once,
// without waiting for the workflow to write its row. Asked only of marked
// cases (one describe); an engine that does not answer leaves the mark.
func (s *Service) runsAgain(ctx context.Context, cs CaseSummary) bool {
	p, ok := procedureOf(cs.Kind)
	if !ok || s.d.Temporal == nil {
		return false
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := s.d.Temporal.DescribeWorkflowExecution(dctx, p.workflowID(cs.CaseNo), "")
	if err != nil || d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return false
	}
	if _, err := s.d.Pool.Exec(ctx, `UPDATE cases SET workflow_lost_at = NULL WHERE case_no = $1`, cs.CaseNo); err != nil {
		s.log(ctx).Warn().Err(err).Str("case_no", cs.CaseNo).Msg("reconciliation mark of a case whose workflow runs again not cleared")
	} else {
		s.log(ctx).Info().Str("case_no", cs.CaseNo).Msg("the case's workflow runs again: its reconciliation mark (workflow lost) cleared")
	}
	return true
}

// Deadlines are every deadline of a case as stored, in order.
func (s *Service) caseDeadlines(ctx context.Context, caseNo string) ([]Deadline, error) {
	rows, err := s.d.Pool.Query(ctx, `SELECT `+deadlineColumns+` FROM case_deadlines d WHERE d.case_no = $1
		ORDER BY d.starts_at, d.rule_id, d.seq`, caseNo)
	if err != nil {
		return nil, faults.Database(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Deadline, error) { return scanDeadline(r) })
	return nonNil(out), faults.Database(err)
}

// CaseEvent is an entry of the case's append-only event log.
type CaseEvent struct {
	Seq    int             `json:"seq"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Role   string          `json:"role"`
	Action string          `json:"action"`
	Reason string          `json:"reason,omitempty"`
	Data   json.RawMessage `json:"data"`
}

func (s *Service) caseEvents(ctx context.Context, caseNo string) ([]CaseEvent, error) {
	rows, err := s.d.Pool.Query(ctx, `SELECT seq, at, actor, role, action, reason, data FROM case_events WHERE case_no = $1 ORDER BY at, seq`, caseNo)
	if err != nil {
		return nil, faults.Database(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseEvent, error) {
		var e CaseEvent
		err := r.Scan(&e.Seq, &e.At, &e.Actor, &e.Role, &e.Action, &e.Reason, &e.Data)
		e.At = shanghai(e.At)
		return e, err
	})
	return nonNil(out), faults.Database(err)
}

// documentReadable reports whether a may read a document addressed to
// recipient: centre staff all, the parties those addressed to them.
func documentReadable(a permission.Actor, recipient documents.Role) bool {
	switch a.Role() {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return recipient == documents.RoleSubject || recipient == documents.RolePublic
	case auth.Provider:
		return recipient == documents.RoleProvider || recipient == documents.RolePublic
	}
	return false
}

func (s *Service) readableDocuments(ctx context.Context, a permission.Actor, caseNo string) ([]documents.Meta, error) {
	all, err := s.documents.ListDocuments(ctx, caseNo)
	if err != nil {
		return nil, faults.Database(err)
	}
	out := make([]documents.Meta, 0, len(all))
	for _, m := range all {
		if documentReadable(a, m.Recipient) {
			out = append(out, m)
		}
	}
	return out, nil
}

// File is a download: its type, name and content.
type File struct {
	ContentType string
	Name        string
	Data        []byte
	// Sandbox asks the front end to serve the file with a restrictive
	// Content-Security-Policy (an HTML letter).
	Sandbox bool
}

// document serves a written notice of case caseNo as PDF (default) or HTML
// to the parties it is addressed to and to centre staff; every download is
// written to the audit trail. A document of another case, or one not
// addressed to the caller, is 404.
func (s *Service) document(ctx context.Context, a permission.Actor, uc permission.UseCase, caseNo string, id int64, format string) (File, error) {
	if format == "" {
		format = "pdf"
	}
	if format != "pdf" && format != "html" {
		return File{}, refusal.BadParam("format", "enum", refusal.T("应为 pdf 或 html", "must be pdf or html"))
	}
	if id <= 0 {
		return File{}, refusal.BadParam("id", "format", refusal.T("应为正整数", "must be a positive integer"))
	}
	d, err := s.documents.GetDocument(ctx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && d.CaseRef != caseNo) {
		return File{}, refusal.NotFoundErr()
	}
	if err != nil {
		return File{}, faults.Database(err)
	}
	if !documentReadable(a, d.Recipient) {
		return File{}, s.guard.Hide(ctx, a, uc, "document", strconv.FormatInt(id, 10))
	}
	if d.PDF == nil {
		// Numbered in the action, rendered just after it (issue 20.2).
		return File{}, &refusal.Error{Kind: refusal.LetterPreparing, RetryAfter: 2 * time.Second,
			Title:  refusal.T("文书正在生成", "The letter is being prepared"),
			Detail: refusal.T("文书 "+d.Number+" 已编号，正在生成，请按 Retry-After 所示的秒数后再下载", "Letter "+d.Number+" is numbered and being prepared; download it after the seconds in Retry-After")}
	}
	if err := audit.Write(ctx, s.d.Pool, a.Audit(), audit.Event{Action: "document.read", ObjectType: "document",
		ObjectID: strconv.FormatInt(id, 10), Data: map[string]any{"case_no": caseNo, "kind": d.Kind, "format": format}}); err != nil {
		return File{}, faults.Database(err)
	}
	if format == "html" {
		return File{ContentType: "text/html; charset=utf-8", Name: d.Number + ".html", Data: d.HTML, Sandbox: true}, nil
	}
	return File{ContentType: "application/pdf", Name: d.Number + ".pdf", Data: d.PDF}, nil
}

// evidenceFile serves one evidence file of case caseNo.
func (s *Service) evidenceFile(ctx context.Context, caseNo string, id int64) (File, error) {
	if id <= 0 {
		return File{}, refusal.BadParam("id", "format", refusal.T("应为正整数", "must be a positive integer"))
	}
	m, data, err := s.evidence.Get(ctx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && m.CaseRef != caseNo) {
		return File{}, refusal.NotFoundErr()
	}
	if err != nil {
		return File{}, faults.Database(err)
	}
	return File{ContentType: m.ContentType, Name: m.Name, Data: data}, nil
}

func (s *Service) caseEvidence(ctx context.Context, caseNo string) ([]evidence.Meta, error) {
	out, err := s.evidence.List(ctx, caseNo)
	return out, faults.Database(err)
}

// DeadlineCalendar is the calendar a deadline was counted with (its
// calendar_version), as the process's rules hold it: a front end counts the
// working days left on it, so that they agree with the due date. A version
// the rules do not know is the calendar of now.
func (s *Service) DeadlineCalendar(ctx context.Context, version string) (*calendar.Calendar, error) {
	if s.d.Rules == nil {
		return s.d.Calendar, nil
	}
	cal, err := s.d.Rules.CalendarOf(ctx, version)
	if err != nil {
		return nil, faults.Database(err)
	}
	return cal, nil
}

// CasePage is a page of cases.
type CasePage struct {
	Cases    []CaseSummary `json:"cases"`
	Page     int           `json:"page"`
	Limit    int           `json:"limit"`
	NextPage int           `json:"next_page,omitempty"`
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
