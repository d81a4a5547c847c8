// Package failing keeps the activities that keep failing (table
// activity_failures): the worker records every failed attempt of a
// retryable activity and forgets it when an attempt succeeds; a case page,
// the board and the API then say what holds a case up — a missing font, a
// calendar year, the database — instead of a silent stall.
package failing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/refusal"
)

// What a failing activity lacks.
const (
	CauseFonts     = "fonts"
	CauseCalendar  = "calendar"
	CauseDatabase  = "database"
	CauseDocuments = "documents"
	CauseOther     = "other"
)

// Activity is an activity of a case (or of a system workflow) whose
// attempts keep failing: what it does, since when, how often, and what
// fails in words an operator can act on.
type Activity struct {
	CaseNo     string    `json:"case_no,omitempty"`
	WorkflowID string    `json:"workflow_id"`
	Activity   string    `json:"activity"`
	Step       string    `json:"step"`
	Attempts   int       `json:"attempts"`
	Since      time.Time `json:"since"`
	LastAt     time.Time `json:"last_at"`
	Cause      string    `json:"cause"`
	// What is the cause in a sentence (Chinese; WhatEN in English).
	What   string `json:"what"`
	WhatEN string `json:"what_en"`
	// Message is the error itself, as the worker saw it.
	Message string `json:"message"`
}

// CauseOf classifies an activity error by what the worker lacks.
func CauseOf(err error) string {
	var unpublished *calendar.UnpublishedYearError
	switch {
	case errors.Is(err, documents.ErrFontMissing):
		return CauseFonts
	case errors.As(err, &unpublished), errors.Is(err, calendar.ErrOutOfRange):
		return CauseCalendar
	case faults.DatabaseUnreachable(err):
		return CauseDatabase
	case errors.Is(err, documents.ErrNumberTaken):
		return CauseDocuments
	}
	return CauseOther
}

var causeText = map[string]refusal.Text{
	CauseFonts:     refusal.T("生成 PDF 文书所需的字体缺失", "a font the PDF letters need is missing"),
	CauseCalendar:  refusal.T("工作日日历缺少所需的年份", "the working-day calendar lacks a year in use"),
	CauseDatabase:  refusal.T("数据库无法访问", "the database cannot be reached"),
	CauseDocuments: refusal.T("文书无法存入文书库", "the letter cannot be stored"),
	CauseOther:     refusal.T("该步骤执行出错", "the step fails"),
}

// stepName says what an activity does, in both languages.
var stepName = map[string]refusal.Text{
	"IssueDocument":    refusal.T("出具文书", "issuing a letter"),
	"ComputeDeadline":  refusal.T("计算期限", "computing a deadline"),
	"Compute":          refusal.T("计算期限", "computing a deadline"),
	"ComputePeriodEnd": refusal.T("计算公示期限", "computing the end of a period"),
	"SaveCase":         refusal.T("保存案件", "saving the case"),
	"SaveListing":      refusal.T("保存名单", "saving the listing"),
	"Notify":           refusal.T("通知当事人", "notifying a party"),
	"Escalate":         refusal.T("上报督办", "escalating"),
	"RecordEvent":      refusal.T("记录事件", "recording an event"),
	"OpenPublicity":    refusal.T("发布修复公示", "publishing the repair notice"),
	"ApplyOutcome":     refusal.T("执行处理结果", "applying the outcome"),
	"ApplyRepair":      refusal.T("执行信用修复", "applying the repair"),
}

func stepOf(activity string) refusal.Text {
	if t, ok := stepName[activity]; ok {
		return t
	}
	return refusal.T(activity, activity)
}

// caseNoOf is the case a workflow ID belongs to ("objection:YY…" → the
// case number), or "" for system workflows.
func caseNoOf(workflowID string) string {
	kind, no, ok := strings.Cut(workflowID, ":")
	switch {
	case !ok:
		return ""
	case kind == "objection", kind == "listing", kind == "repair":
		return no
	}
	return ""
}

// maxMessage bounds the stored error text.
const maxMessage = 1000

// Record notes a failed attempt of an activity (idempotent per
// attempt: the count is the attempt number the engine gives).
func Record(ctx context.Context, pool *pgxpool.Pool, workflowID, activity string, attempt int32, failure error, at time.Time) error {
	msg := ident.MaskIDNumbersIn(failure.Error())
	if utf8.RuneCountInString(msg) > maxMessage {
		msg = string([]rune(msg)[:maxMessage]) + "…"
	}
	var caseNo any
	if no := caseNoOf(workflowID); no != "" {
		caseNo = no
	}
	_, err := pool.Exec(ctx, `
		INSERT INTO activity_failures (workflow_id, activity_type, case_no, attempts, first_failed_at, last_failed_at, cause, message)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
		ON CONFLICT (workflow_id, activity_type) DO UPDATE SET
			attempts = greatest(activity_failures.attempts, EXCLUDED.attempts),
			last_failed_at = EXCLUDED.last_failed_at, cause = EXCLUDED.cause, message = EXCLUDED.message`,
		workflowID, activity, caseNo, max(attempt, 1), at, CauseOf(failure), msg)
	return err
}

// Clear forgets an activity's failures once an attempt succeeded.
func Clear(ctx context.Context, pool *pgxpool.Pool, workflowID, activity string) error {
	_, err := pool.Exec(ctx, `DELETE FROM activity_failures WHERE workflow_id = $1 AND activity_type = $2`, workflowID, activity)
	return err
}

const failureColumns = `coalesce(f.case_no, ''), f.workflow_id, f.activity_type, f.attempts, f.first_failed_at, f.last_failed_at, f.cause, f.message`

func scanFailures(rows pgx.Rows) ([]Activity, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Activity, error) {
		var f Activity
		err := r.Scan(&f.CaseNo, &f.WorkflowID, &f.Activity, &f.Attempts, &f.Since, &f.LastAt, &f.Cause, &f.Message)
		step, what := stepOf(f.Activity), causeText[f.Cause]
		f.Step, f.What, f.WhatEN = step.ZH, what.ZH, what.EN
		return f, err
	})
	if out == nil && err == nil {
		out = []Activity{}
	}
	return out, err
}

// OfCase lists the failing activities of case caseNo.
func OfCase(ctx context.Context, db audit.DB, caseNo string) ([]Activity, error) {
	rows, err := db.Query(ctx, `SELECT `+failureColumns+` FROM activity_failures f WHERE f.case_no = $1 ORDER BY f.first_failed_at`, caseNo)
	if err != nil {
		return nil, err
	}
	return scanFailures(rows)
}

// Open lists what keeps failing now, oldest first: activities of
// open cases, and of system workflows that failed within the last day.
func Open(ctx context.Context, db audit.DB, limit int) ([]Activity, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := db.Query(ctx, `SELECT `+failureColumns+` FROM activity_failures f
		LEFT JOIN cases c ON c.case_no = f.case_no
		WHERE (f.case_no IS NOT NULL AND c.status = 'open') OR (f.case_no IS NULL AND f.last_failed_at > now() - interval '1 day')
		ORDER BY f.first_failed_at LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return scanFailures(rows)
}

// Stuck is the refusal of a step that cannot finish because an activity
// of its case keeps failing: it names the step, since when, how often and
// what fails, and says the case goes on by itself once that is fixed.
func Stuck(f Activity) *refusal.Error {
	step, what := stepOf(f.Activity), causeText[f.Cause]
	since := f.Since.In(calendar.Shanghai).Format("2006-01-02 15:04")
	return &refusal.Error{Kind: refusal.ActivityFailing, CaseNo: f.CaseNo, RetryAfter: time.Minute,
		Title: refusal.T("案件办理受阻："+what.ZH, "The case is held up: "+what.EN),
		Detail: refusal.T(
			fmt.Sprintf("「%s」自 %s 起已失败 %d 次（%s）。系统管理员解决后，案件会自动继续，无需重新提交。", step.ZH, since, f.Attempts, f.Message),
			fmt.Sprintf("%s has failed %d times since %s (%s). Once the operator fixes it, the case goes on by itself; nothing needs resubmitting.", upperFirst(step.EN), f.Attempts, since, f.Message)),
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ActiveWithin is how recent a failure must be to count as still going
// on: case activities are retried at least once a minute.
const ActiveWithin = 2 * time.Minute

// Active returns the first of fs that failed within ActiveWithin of now
// (an activity still being retried, holding its case up), or nil.
func Active(fs []Activity, now time.Time) *Activity {
	for i := range fs {
		if now.Sub(fs[i].LastAt) <= ActiveWithin {
			return &fs[i]
		}
	}
	return nil
}

// Case returns the refusal for case caseNo when one of its
// activities keeps failing, or nil.
func Case(ctx context.Context, db audit.DB, caseNo string) *refusal.Error {
	fs, err := OfCase(ctx, db, caseNo)
	if err != nil || len(fs) == 0 {
		return nil
	}
	return Stuck(fs[0])
}

// Workflow returns the refusal for a system workflow (an engine check,
// a sweep) whose activity keeps failing, or nil.
func Workflow(ctx context.Context, db audit.DB, workflowID string) *refusal.Error {
	rows, err := db.Query(ctx, `SELECT `+failureColumns+` FROM activity_failures f WHERE f.workflow_id = $1 ORDER BY f.first_failed_at`, workflowID)
	if err != nil {
		return nil
	}
	fs, err := scanFailures(rows)
	if err != nil || len(fs) == 0 {
		return nil
	}
	return Stuck(fs[0])
}
