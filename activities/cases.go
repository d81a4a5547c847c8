package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/notify"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/reqid"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/wording"
)

// rules returns the Rules the activities read.
func (a *Cases) rules() *rules.Rules {
	if a.Rules != nil {
		return a.Rules
	}
	return rules.Static(a.Calendar, a.Policies)
}

// calendarNow is the calendar as it stands now (what new and recomputed
// deadlines are counted with).
func (a *Cases) calendarNow(ctx context.Context) (*calendar.Calendar, error) {
	return a.rules().Calendar(ctx)
}

// profile returns profile id at version ("" = the version loaded now); an
// unknown profile is a non-retryable error.
func (a *Cases) profile(ctx context.Context, id, version string) (*policy.Profile, error) {
	p, err := a.rules().Profile(ctx, id, version)
	if errors.Is(err, policy.ErrUnknownProfile) {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "unknown-profile", err)
	}
	return p, err
}

// Cases holds the activities every case workflow shares: deadlines through
// the calendar and the case's policy profile, and the PostgreSQL projection
// (cases, deadlines, events, escalations, notifications).
type Cases struct {
	Pool *pgxpool.Pool
	// Rules serve the profiles (at the version a case opened with) and the
	// calendar (as it stands in the database). When nil, Calendar and
	// Policies are used as they are (nil = the embedded data): unit tests.
	Rules    *rules.Rules
	Calendar *calendar.Calendar
	Policies *policy.Set
	// Notifier delivers notices (nil = the inbox table only); see
	// internal/notify.
	Notifier notify.Notifier
}

// Parties responsible for a deadline.
const (
	PartyCentre     = "centre"
	PartySubject    = "subject"
	PartySupervisor = "supervisor"
)

// PartyProvider names provider id as a party.
func PartyProvider(id int64) string { return fmt.Sprintf("provider:%d", id) }

// IsProviderParty reports whether party names a provider (PartyProvider).
func IsProviderParty(party string) bool { return strings.HasPrefix(party, "provider:") }

// Deadline states.
const (
	DeadlinePending    = "pending"
	DeadlineMet        = "met"
	DeadlineMissed     = "missed"
	DeadlineCancelled  = "cancelled"
	DeadlineSuperseded = "superseded"
)

// DeadlineRequest asks for rule Rule of the case's profile, counted from
// Start, lengthened by Extra working days (clock pauses and extensions).
// ExtendBy, when set, names a rule whose length is added to Extra (a
// head-approved extension); PausedFrom/PausedTo add the working days of a
// clock pause. Supersedes is the seq of the deadline this one replaces.
type DeadlineRequest struct {
	CaseNo    string `json:"case_no"`
	ProfileID string `json:"profile_id"`
	// ProfileVersion is the version the case opened with ("" = the version
	// loaded now: cases started before versions were pinned).
	ProfileVersion string    `json:"profile_version,omitempty"`
	Rule           string    `json:"rule"`
	Seq            int       `json:"seq"`
	Party          string    `json:"party"`
	Start          time.Time `json:"start"`
	Extra          int       `json:"extra"`
	ExtendBy       string    `json:"extend_by,omitempty"`
	PausedFrom     time.Time `json:"paused_from,omitzero"`
	PausedTo       time.Time `json:"paused_to,omitzero"`
	Supersedes     int       `json:"supersedes,omitempty"`
	Reason         string    `json:"reason,omitempty"`
}

// Deadline is a computed deadline as the workflow keeps and awaits it.
type Deadline struct {
	Rule        string        `json:"rule"`
	Seq         int           `json:"seq"`
	Party       string        `json:"party"`
	Start       time.Time     `json:"start"`
	N           int           `json:"n"`
	Unit        calendar.Unit `json:"unit"`
	Extra       int           `json:"extra"`
	Due         calendar.Date `json:"due"`
	DueAt       time.Time     `json:"due_at"`
	RemindAt    time.Time     `json:"remind_at,omitzero"`
	Version     string        `json:"calendar_version"`
	Provisional bool          `json:"provisional"`
	// Explanation is the calendar's account of the count; ExplanationZH
	// and ExplanationEN say it for readers (internal/wording).
	Explanation   string `json:"explanation"`
	ExplanationZH string `json:"explanation_zh,omitempty"`
	ExplanationEN string `json:"explanation_en,omitempty"`
	// Source is what sets the length, as letters cite it, or that it is
	// the centre's own time limit.
	Source   string   `json:"source"`
	OnLapse  []string `json:"on_lapse"`
	State    string   `json:"state"`
	Reminded bool     `json:"reminded"`
}

// ReminderHour is when, Asia/Shanghai, reminders go out on their day.
const ReminderHour = 9

// ComputeDeadline computes a deadline from the profile and the calendar and
// stores it with its explanation. Years without a published holiday
// schedule are counted provisionally and flagged, and recomputed when the
// schedule arrives. Calling it again with the same request rewrites the same
// row: it is idempotent.
func (a *Cases) ComputeDeadline(ctx context.Context, req DeadlineRequest) (Deadline, error) {
	out, err := a.Compute(ctx, req)
	if err != nil {
		return Deadline{}, err
	}
	if err := a.storeDeadline(ctx, req, out); err != nil {
		return Deadline{}, err
	}
	activity.GetLogger(ctx).Info("deadline computed", "case_no", req.CaseNo, "rule", req.Rule, "seq", req.Seq,
		"due", out.Due.String(), "provisional", out.Provisional, "request_id", reqid.From(ctx))
	return out, nil
}

// Compute is ComputeDeadline without storing: the profile's rule through
// the calendar, with its explanation.
func (a *Cases) Compute(ctx context.Context, req DeadlineRequest) (Deadline, error) {
	prof, err := a.profile(ctx, req.ProfileID, req.ProfileVersion)
	if err != nil {
		return Deadline{}, err
	}
	cal, err := a.calendarNow(ctx)
	if err != nil {
		return Deadline{}, err
	}
	rule, err := prof.Rule(req.Rule)
	if err != nil && req.Rule == policy.ObjectionAppealWindow {
		// An objection opened before its profile said whether it grants an
		// appeal still opens the window it opened then.
		rule, err = legacyAppealWindow, nil
	}
	if err != nil {
		return Deadline{}, temporal.NewNonRetryableApplicationError(err.Error(), "unknown-rule", err)
	}
	opt := calendar.Options{Region: prof.Region}
	extra := req.Extra
	if req.ExtendBy != "" {
		ext, err := prof.Rule(req.ExtendBy)
		if err != nil {
			return Deadline{}, temporal.NewNonRetryableApplicationError(err.Error(), "unknown-rule", err)
		}
		if ext.Unit != calendar.WorkingDays || rule.Unit != calendar.WorkingDays {
			return Deadline{}, temporal.NewNonRetryableApplicationError("extensions apply to working-day rules only", "bad-extension", nil)
		}
		extra += ext.Length
	}
	if !req.PausedFrom.IsZero() && rule.Unit == calendar.WorkingDays {
		paused, err := pausedWorkingDays(cal, req.PausedFrom, req.PausedTo, opt)
		if err != nil {
			return Deadline{}, err
		}
		extra += paused
	}
	start := calendar.DateOf(req.Start)
	n := rule.Length
	if rule.Unit == calendar.WorkingDays {
		n += extra
	}
	d, err := cal.Add(start, n, rule.Unit, opt)
	var unpublished *calendar.UnpublishedYearError
	if errors.As(err, &unpublished) {
		opt.Provisional = true
		d, err = cal.Add(start, n, rule.Unit, opt)
	}
	if err != nil {
		return Deadline{}, temporal.NewNonRetryableApplicationError(err.Error(), "deadline", err)
	}
	xtra := 0
	if rule.Unit == calendar.WorkingDays {
		xtra = extra
	}
	out := Deadline{
		Rule: req.Rule, Seq: req.Seq, Party: req.Party, Start: req.Start,
		N: rule.Length, Unit: rule.Unit, Extra: extra,
		Due: d.Due, DueAt: d.DueAt, Version: d.Version, Provisional: d.Provisional,
		Explanation:   d.Explanation,
		ExplanationZH: wording.Explain(d, xtra, wording.ZH), ExplanationEN: wording.Explain(d, xtra, wording.EN),
		Source: ruleSource(rule), OnLapse: rule.OnLapse, State: DeadlinePending,
	}
	if extra > 0 && rule.Unit == calendar.WorkingDays {
		out.Explanation = fmt.Sprintf("%d WD + %d WD (pause/extension): %s", rule.Length, extra, d.Explanation)
	}
	if rule.RemindBefore > 0 {
		day, err := cal.SubtractWorkingDays(d.Due, rule.RemindBefore, opt)
		if err == nil && day.After(start) {
			out.RemindAt = day.Start().Add(ReminderHour * time.Hour)
		}
	}
	return out, nil
}

// legacyAppealWindow is the appeal window of objections that started
// before the profiles said which grant an appeal.
var legacyAppealWindow = policy.Rule{ID: policy.ObjectionAppealWindow, Length: 60, Unit: calendar.CalendarDays,
	StartsOn: "objection.reply_served", OnLapse: []string{policy.LapseProceed}}

// ruleSource says what sets a rule's length, for readers: the citations
// letters print, or that the centre set it (no instrument does).
func ruleSource(r policy.Rule) string {
	if len(r.Cite) == 0 {
		return "本中心确定的办理期限"
	}
	return policy.Citations(r.Cite)
}

func pausedWorkingDays(cal *calendar.Calendar, from, to time.Time, opt calendar.Options) (int, error) {
	if !to.After(from) {
		return 0, nil
	}
	opt.Provisional = true // a pause's length never fails a case
	n, err := cal.WorkingDaysBetween(calendar.DateOf(from), calendar.DateOf(to), opt)
	if err != nil {
		return 0, temporal.NewNonRetryableApplicationError(err.Error(), "deadline", err)
	}
	return n, nil
}

func (a *Cases) storeDeadline(ctx context.Context, req DeadlineRequest, d Deadline) error {
	var remind any
	if !d.RemindAt.IsZero() {
		remind = d.RemindAt
	}
	tx, err := a.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `
		INSERT INTO case_deadlines (case_no, rule_id, seq, party, starts_at, start_date, n, unit, extra_wd,
			due_date, due_at, remind_at, calendar_version, provisional, explanation, source, reason, explanation_zh, explanation_en)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)
		ON CONFLICT (case_no, rule_id, seq) DO UPDATE SET
			due_date = EXCLUDED.due_date, due_at = EXCLUDED.due_at, remind_at = EXCLUDED.remind_at,
			calendar_version = EXCLUDED.calendar_version, provisional = EXCLUDED.provisional,
			explanation = EXCLUDED.explanation, extra_wd = EXCLUDED.extra_wd,
			explanation_zh = EXCLUDED.explanation_zh, explanation_en = EXCLUDED.explanation_en`,
		req.CaseNo, req.Rule, req.Seq, req.Party, req.Start, calendar.DateOf(req.Start).Start(), d.N, string(d.Unit), d.Extra,
		d.Due.Start(), d.DueAt, remind, d.Version, d.Provisional, d.Explanation, d.Source, req.Reason, d.ExplanationZH, d.ExplanationEN)
	if err != nil {
		return fmt.Errorf("store deadline %s/%s#%d: %w", req.CaseNo, req.Rule, req.Seq, err)
	}
	if req.Supersedes > 0 {
		_, err = tx.Exec(ctx, `UPDATE case_deadlines SET state = 'superseded', settled_at = coalesce(settled_at, now()),
			reason = $4 WHERE case_no = $1 AND rule_id = $2 AND seq = $3 AND state IN ('pending', 'missed', 'superseded')`,
			req.CaseNo, req.Rule, req.Supersedes, req.Reason)
		if err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// FixedDeadline is a deadline whose day is set by a decision, not counted
// from a profile rule (a scheduled hearing): due at 24:00 of Due, stored
// and shown like any other, with its explanation.
type FixedDeadline struct {
	CaseNo      string        `json:"case_no"`
	Rule        string        `json:"rule"`
	Seq         int           `json:"seq"`
	Party       string        `json:"party"`
	Start       time.Time     `json:"start"`
	Due         calendar.Date `json:"due"`
	Explanation string        `json:"explanation"`
	Source      string        `json:"source"`
	OnLapse     []string      `json:"on_lapse"`
}

// FixDeadline stores a fixed deadline and returns it as the workflow keeps
// it; repeating it rewrites the same row.
func (a *Cases) FixDeadline(ctx context.Context, f FixedDeadline) (Deadline, error) {
	d := Deadline{Rule: f.Rule, Seq: f.Seq, Party: f.Party, Start: f.Start, N: 0, Unit: calendar.CalendarDays,
		Due: f.Due, DueAt: f.Due.End(), Version: "fixed", Explanation: f.Explanation, Source: f.Source,
		OnLapse: f.OnLapse, State: DeadlinePending}
	if err := a.storeDeadline(ctx, DeadlineRequest{CaseNo: f.CaseNo, Rule: f.Rule, Seq: f.Seq, Party: f.Party, Start: f.Start}, d); err != nil {
		return Deadline{}, err
	}
	return d, nil
}

// SettleDeadline records that a deadline was met, missed or cancelled.
type SettleDeadline struct {
	CaseNo string    `json:"case_no"`
	Rule   string    `json:"rule"`
	Seq    int       `json:"seq"`
	State  string    `json:"state"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// SettleDeadline stores the deadline's new state; repeating it is harmless.
func (a *Cases) SettleDeadline(ctx context.Context, s SettleDeadline) error {
	_, err := a.Pool.Exec(ctx, `UPDATE case_deadlines SET state = $4, settled_at = $5, reason = $6
		WHERE case_no = $1 AND rule_id = $2 AND seq = $3 AND state IN ('pending', 'missed')`,
		s.CaseNo, s.Rule, s.Seq, s.State, s.At, s.Reason)
	return err
}

// CaseRow is the projection row of a case.
type CaseRow struct {
	CaseNo         string    `json:"case_no"`
	Kind           string    `json:"kind"`
	WorkflowID     string    `json:"workflow_id"`
	RecordID       int64     `json:"record_id"`
	SubjectID      int64     `json:"subject_id"`
	ProviderID     int64     `json:"provider_id"`
	ProfileID      string    `json:"profile_id"`
	ProfileVersion string    `json:"profile_version"`
	Stage          string    `json:"stage"`
	Status         string    `json:"status"`
	Outcome        string    `json:"outcome"`
	NextDueAt      time.Time `json:"next_due_at,omitzero"`
	NextRule       string    `json:"next_rule"`
	OpenedAt       time.Time `json:"opened_at"`
	AcceptedAt     time.Time `json:"accepted_at,omitzero"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`
}

// ProfileVersion returns the version of profile id, which a case stores.
func (a *Cases) ProfileVersion(ctx context.Context, id string) (string, error) {
	p, err := a.profile(ctx, id, "")
	if err != nil {
		return "", err
	}
	return p.Version, nil
}

// SaveCase writes the case's projection row: an update of the row its
// filing wrote; an insert only for a filed case without one yet (a
// listing's first save). A case never filed is refused (NotFiled, filed.go).
// The workflow writing its row runs: a mark of the reconciler that it was
// lost (workflow_lost_at, e.g. before an operator restarted it) is cleared.
func (a *Cases) SaveCase(ctx context.Context, c CaseRow) error {
	tag, err := a.Pool.Exec(ctx, `UPDATE cases SET stage = $2, status = $3, outcome = $4, next_due_at = $5, next_rule = $6,
			accepted_at = $7, closed_at = $8, workflow_lost_at = NULL, updated_at = now() WHERE case_no = $1`,
		c.CaseNo, c.Stage, c.Status, c.Outcome, nullTime(c.NextDueAt), c.NextRule, nullTime(c.AcceptedAt), nullTime(c.ClosedAt))
	if err != nil {
		return fmt.Errorf("save case %s: %w", c.CaseNo, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if err := checkFiled(ctx, a.Pool, c.CaseNo, c.OpenedAt, time.Now()); err != nil {
		return err
	}
	_, err = a.Pool.Exec(ctx, `
		INSERT INTO cases (case_no, kind, workflow_id, record_id, subject_id, provider_id, profile_id, profile_version,
			stage, status, outcome, next_due_at, next_rule, opened_at, accepted_at, closed_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16, now())
		ON CONFLICT (case_no) DO UPDATE SET stage = EXCLUDED.stage, status = EXCLUDED.status,
			outcome = EXCLUDED.outcome, next_due_at = EXCLUDED.next_due_at, next_rule = EXCLUDED.next_rule,
			accepted_at = EXCLUDED.accepted_at, closed_at = EXCLUDED.closed_at, workflow_lost_at = NULL, updated_at = now()`,
		c.CaseNo, c.Kind, c.WorkflowID, c.RecordID, c.SubjectID, c.ProviderID, c.ProfileID, c.ProfileVersion,
		c.Stage, c.Status, c.Outcome, nullTime(c.NextDueAt), c.NextRule, c.OpenedAt, nullTime(c.AcceptedAt), nullTime(c.ClosedAt))
	if err != nil {
		return fmt.Errorf("save case %s: %w", c.CaseNo, err)
	}
	return nil
}

// Event is one entry of a case's append-only event log. Seq is assigned by
// the workflow, so a retried activity writes the same row once.
type Event struct {
	CaseNo    string         `json:"case_no"`
	Seq       int            `json:"seq"`
	At        time.Time      `json:"at"`
	Actor     string         `json:"actor"`
	Role      string         `json:"role"`
	Action    string         `json:"action"`
	Reason    string         `json:"reason,omitempty"`
	Data      map[string]any `json:"data,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
}

// RecordEvent appends e once.
func (a *Cases) RecordEvent(ctx context.Context, e Event) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "event-data", err)
	}
	if e.Data == nil {
		data = []byte("{}")
	}
	rid := e.RequestID
	if rid == "" {
		rid = reqid.From(ctx)
	}
	_, err = a.Pool.Exec(ctx, `INSERT INTO case_events (case_no, seq, at, actor, role, action, reason, data, request_id)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (case_no, seq) DO NOTHING`,
		e.CaseNo, e.Seq, e.At, e.Actor, e.Role, e.Action, e.Reason, data, rid)
	if err != nil {
		return fmt.Errorf("record event %s#%d: %w", e.CaseNo, e.Seq, err)
	}
	return nil
}

// Escalation is a lapsed deadline put before the supervisors.
type Escalation struct {
	CaseNo string    `json:"case_no"`
	Rule   string    `json:"rule"`
	Seq    int       `json:"seq"`
	Party  string    `json:"party"`
	Since  time.Time `json:"since"`
}

// Escalate creates the escalation once, however often it is retried.
func (a *Cases) Escalate(ctx context.Context, e Escalation) error {
	_, err := a.Pool.Exec(ctx, `INSERT INTO escalations (case_no, rule_id, seq, party, since)
		VALUES ($1,$2,$3,$4,$5) ON CONFLICT (case_no, rule_id, seq) DO NOTHING`,
		e.CaseNo, e.Rule, e.Seq, e.Party, e.Since)
	if err != nil {
		return fmt.Errorf("escalate %s/%s: %w", e.CaseNo, e.Rule, err)
	}
	var kind, provider string
	if err := a.Pool.QueryRow(ctx, `SELECT c.kind, coalesce(p.name, '') FROM cases c LEFT JOIN providers p ON p.id = c.provider_id
		WHERE c.case_no = $1`, e.CaseNo).Scan(&kind, &provider); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("escalate %s: %w", e.CaseNo, err)
	}
	// The deadline ran out at 24:00 of its last day.
	due := wording.Due{Rule: e.Rule, Date: calendar.DateOf(e.Since.Add(-time.Second))}
	return a.notify(ctx, Notice{CaseNo: e.CaseNo, Party: PartySupervisor, Kind: "escalation",
		DedupKey:  fmt.Sprintf("%s/%s/%d/escalation", e.CaseNo, e.Rule, e.Seq),
		Message:   wording.Escalated(kind, e.CaseNo, e.Party, provider, due, wording.ZH),
		MessageEN: wording.Escalated(kind, e.CaseNo, e.Party, provider, due, wording.EN)})
}

// Notice is a message to a party's inbox, in Chinese (Message) and in
// English (MessageEN, optional).
type Notice struct {
	CaseNo    string `json:"case_no"`
	Party     string `json:"party"`
	Kind      string `json:"kind"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en,omitempty"`
	DedupKey  string `json:"dedup_key"`
}

// Notify puts the notice in the party's inbox once.
func (a *Cases) Notify(ctx context.Context, n Notice) error { return a.notify(ctx, n) }

func (a *Cases) notify(ctx context.Context, n Notice) error {
	if a.Notifier != nil {
		return a.Notifier.Send(ctx, notify.Notice(n))
	}
	_, err := a.Pool.Exec(ctx, `INSERT INTO notifications (dedup_key, case_no, party, kind, message, message_en)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (dedup_key) DO NOTHING`, n.DedupKey, n.CaseNo, n.Party, n.Kind, n.Message, n.MessageEN)
	if err != nil {
		return fmt.Errorf("notify %s: %w", n.DedupKey, err)
	}
	return nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
