package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"

	"github.com/creditcase/creditcase/internal/rules"
)

// RecomputeRun names a calendar recompute run: the revision it follows.
type RecomputeRun struct {
	Revision   int64  `json:"revision"`
	WorkflowID string `json:"workflow_id"`
}

// BeginRecompute records the run (once, however often it is retried).
func (a *Cases) BeginRecompute(ctx context.Context, r RecomputeRun) error {
	_, err := a.Pool.Exec(ctx, `INSERT INTO calendar_recomputes (rev, workflow_id) VALUES ($1, $2) ON CONFLICT (rev) DO NOTHING`,
		r.Revision, r.WorkflowID)
	if err != nil {
		return fmt.Errorf("begin recompute of revision %d: %w", r.Revision, err)
	}
	return nil
}

// CaseTarget is an open case a calendar change may concern.
type CaseTarget = rules.CaseTarget

// AffectedRequest asks for the next page of cases a revision concerns.
type AffectedRequest struct {
	Revision int64  `json:"revision"`
	After    string `json:"after"`
	Limit    int    `json:"limit"`
}

// AffectedCases returns the next page of open cases whose deadlines the
// revision may move, and records them in the run's progress.
func (a *Cases) AffectedCases(ctx context.Context, r AffectedRequest) ([]rules.CaseTarget, error) {
	return rules.AffectedCases(ctx, a.Pool, r.Revision, r.After, r.Limit)
}

// RecomputeProgress is how far a run is: cases signalled, and of those the
// ones that have recomputed (or closed meanwhile).
type RecomputeProgress struct {
	Revision int64 `json:"revision"`
	// State: not started (the revision is stored, its run has not begun),
	// running, done.
	State          string    `json:"state"`
	Cases          int       `json:"cases"`
	Done           int       `json:"done"`
	DeadlinesMoved int       `json:"deadlines_moved"`
	StartedAt      time.Time `json:"started_at,omitzero"`
	FinishedAt     time.Time `json:"finished_at,omitzero"`
}

// Progress reads the run's progress (the activity the workflow polls).
func (a *Cases) Progress(ctx context.Context, rev int64) (RecomputeProgress, error) {
	return ReadRecomputeProgress(ctx, a.Pool, rev)
}

// ReadRecomputeProgress reads a run's progress; the operator view shows it.
func ReadRecomputeProgress(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, rev int64) (RecomputeProgress, error) {
	p := RecomputeProgress{Revision: rev}
	var started, finished *time.Time
	err := q.QueryRow(ctx, `SELECT coalesce(r.state, 'not started'), r.started_at, r.finished_at,
			(SELECT count(*) FROM calendar_recompute_cases x WHERE x.rev = v.rev),
			(SELECT count(*) FROM calendar_recompute_cases x JOIN cases c USING (case_no)
			  WHERE x.rev = v.rev AND (x.done_at IS NOT NULL OR c.status <> 'open')),
			(SELECT coalesce(sum(moved), 0) FROM calendar_recompute_cases x WHERE x.rev = v.rev)
		FROM calendar_revisions v LEFT JOIN calendar_recomputes r ON r.rev = v.rev
		WHERE v.rev = $1`, rev).Scan(&p.State, &started, &finished, &p.Cases, &p.Done, &p.DeadlinesMoved)
	if started != nil {
		p.StartedAt = *started
	}
	if finished != nil {
		p.FinishedAt = *finished
	}
	return p, err
}

// FinishRecompute stores the run's summary and marks it done.
func (a *Cases) FinishRecompute(ctx context.Context, rev int64) (RecomputeProgress, error) {
	p, err := a.Progress(ctx, rev)
	if err != nil {
		return p, err
	}
	_, err = a.Pool.Exec(ctx, `UPDATE calendar_recomputes SET state = 'done', cases_total = $2, cases_done = $3,
		deadlines_moved = $4, finished_at = coalesce(finished_at, now()),
		summary = jsonb_build_object('cases', $2::int, 'done', $3::int, 'deadlines_moved', $4::int) WHERE rev = $1`,
		rev, p.Cases, p.Done, p.DeadlinesMoved)
	if err != nil {
		return p, fmt.Errorf("finish recompute of revision %d: %w", rev, err)
	}
	activity.GetLogger(ctx).Info("calendar recompute finished", "revision", rev, "cases", p.Cases, "done", p.Done, "deadlines_moved", p.DeadlinesMoved)
	return a.Progress(ctx, rev)
}

// CaseRecomputed records that a case has recomputed its deadlines after
// revision Revision (0: a change sent without a revision, not tracked).
type CaseRecomputed struct {
	Revision int64  `json:"revision"`
	CaseNo   string `json:"case_no"`
	Moved    int    `json:"moved"`
}

// MarkCaseRecomputed stores it; repeating it is harmless.
func (a *Cases) MarkCaseRecomputed(ctx context.Context, r CaseRecomputed) error {
	if r.Revision == 0 {
		return nil
	}
	_, err := a.Pool.Exec(ctx, `INSERT INTO calendar_recompute_cases (rev, case_no, done_at, moved) VALUES ($1, $2, now(), $3)
		ON CONFLICT (rev, case_no) DO UPDATE SET done_at = coalesce(calendar_recompute_cases.done_at, now()), moved = EXCLUDED.moved`,
		r.Revision, r.CaseNo, r.Moved)
	if err != nil {
		return fmt.Errorf("case %s recomputed after revision %d: %w", r.CaseNo, r.Revision, err)
	}
	return nil
}

// RecomputeRequest asks to recount deadline Old under the calendar as it
// stands: Request is the replacement (its Seq the next free one,
// Supersedes Old's seq).
type RecomputeRequest struct {
	Request DeadlineRequest `json:"request"`
	Old     Deadline        `json:"old"`
}

// RecomputeResult says whether the deadline moved. When it did not (same
// due date, same provisional flag), the row is kept and only takes the new
// calendar version and explanation; Deadline is then Old with those.
type RecomputeResult struct {
	Changed  bool     `json:"changed"`
	Deadline Deadline `json:"deadline"`
}

// RecomputeDeadline recounts a deadline after a calendar change: a new row
// superseding the old one when the date or the provisional flag changes
// (both kept, with the reason), else the old row brought to the new
// calendar version. Idempotent: a retry recounts the same.
func (a *Cases) RecomputeDeadline(ctx context.Context, r RecomputeRequest) (RecomputeResult, error) {
	res, err := a.Recount(ctx, r)
	if err != nil {
		return RecomputeResult{}, err
	}
	nd := res.Deadline
	if !res.Changed {
		if _, err := a.Pool.Exec(ctx, `UPDATE case_deadlines SET calendar_version = $4, explanation = $5
			WHERE case_no = $1 AND rule_id = $2 AND seq = $3 AND state = 'pending'`,
			r.Request.CaseNo, r.Old.Rule, r.Old.Seq, nd.Version, nd.Explanation); err != nil {
			return RecomputeResult{}, err
		}
		return res, nil
	}
	if err := a.storeDeadline(ctx, r.Request, nd); err != nil {
		return RecomputeResult{}, err
	}
	activity.GetLogger(ctx).Info("deadline recomputed", "case_no", r.Request.CaseNo, "rule", nd.Rule,
		"old_due", r.Old.Due.String(), "new_due", nd.Due.String(), "provisional", nd.Provisional)
	return res, nil
}

// Recount is RecomputeDeadline without storing.
func (a *Cases) Recount(ctx context.Context, r RecomputeRequest) (RecomputeResult, error) {
	nd, err := a.Compute(ctx, r.Request)
	if err != nil {
		return RecomputeResult{}, err
	}
	if nd.Due == r.Old.Due && nd.Provisional == r.Old.Provisional {
		kept := r.Old
		kept.Version, kept.Explanation = nd.Version, nd.Explanation
		return RecomputeResult{Deadline: kept}, nil
	}
	return RecomputeResult{Changed: true, Deadline: nd}, nil
}
