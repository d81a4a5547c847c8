// Package reconcile keeps the case projection true to the engine (issue
// 19.6: no stale case). A case workflow writes its projection row through
// its activities; when an operator terminates it, or it fails, or its
// history is gone, nothing writes the row again: the case would stay open
// on every inbox and board and its record "under objection" for ever.
//
// The reconciler walks the case rows whose workflow must be running, in
// batches (case-number order): every open row, and every closed row whose
// stage is not finished — a decided objection waiting out its appeal
// window (stage closed) or its appeal (stage appeal): the written reply
// closed the row, and the workflow runs on until the window ends and
// receives the appeal. Such rows are "held" (Run.Held). For an open row
// whose workflow is no longer running it closes the row (deadlines
// cancelled, record freed, repair application and publicity closed, a
// proposal not listed) — or, where closing would hide something a person
// must decide (a listed entry without its workflow, a workflow that
// completed with its row open), flags it. A held row is closed already:
// its workflow gone means the later steps (an appeal, the window's end,
// the appeal decision and its letters) cannot happen, so it is flagged
// (ProblemHeldLost: a finding, a case event and a notice in the
// supervisors' inbox), marked
// (cases.workflow_lost_at) and not walked again; the API then answers a
// step on it with 409 workflow-lost, not "finished". An open case flagged
// (not closed) is marked the same way: flagged once, not every pass. It then frees records
// left under objection with no open case. Every finding is kept
// (reconcile_findings) and written to the case's events. It runs on a
// Temporal Schedule and on demand; every step is idempotent.
//
// What a batch asks the engine. One visibility call counts how many of
// the batch's workflows run (ExecutionStatus = 'Running' AND WorkflowId IN
// (…)); a workflow ID runs at most once, so when the count is the batch's
// size every case runs and nothing more is asked. Otherwise the same query
// lists them (pages of at most ListPage), and only the cases whose
// workflow is NOT listed are described (DescribeWorkflowExecution), one
// call each. A pass over N open cases therefore costs about N/1000 count
// calls, a list for each batch with a difference, and one describe per
// difference — not N describes. The describe stays the truth,
// the list only spares asking: visibility lags the engine by a moment, so
// a case opened a moment ago may be missing from the list — it is
// described and found running, nothing happens to it; a workflow that
// ended a moment ago may still be listed as running — this pass leaves its
// case alone and the next pass finds it. If visibility cannot answer (an
// error), every case of the batch is described (the batch says so, and the
// activity logs it): a case is never skipped unchecked. A batch holds at
// most its size of cases in memory, whatever the number of open cases, and
// records its counters once (guarded by its cursor: a batch retried after
// its counters were recorded checks nothing again), so a retried batch
// counts nothing twice.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/audit"
)

// EventSeqBase numbers the case events the reconciler writes: seq =
// EventSeqBase + finding id, a range apart from the workflow's own events
// and the escalation actions (supervision.EscalationEventSeqBase).
const EventSeqBase = 1_500_000_000

// Engine statuses of a workflow, as the reconciler names them.
const (
	Running    = "running"
	Completed  = "completed"
	Failed     = "failed"
	Canceled   = "canceled"
	Terminated = "terminated"
	TimedOut   = "timed_out"
	Continued  = "continued_as_new"
	NotFound   = "not_found"
)

// Actions taken on a finding.
const (
	Repaired = "repaired"
	Flagged  = "flagged"
)

// Problems found.
const (
	ProblemEnded         = "workflow_ended"          // the workflow is not running; the row was closed
	ProblemListedOrphan  = "listed_without_workflow" // a listed entry whose workflow ended: a person decides
	ProblemCompletedOpen = "completed_row_open"      // the workflow completed but its row stayed open
	ProblemRecordLabel   = "record_label_orphan"     // a record under objection with no open case
	// ProblemHeldLost: a closed case whose workflow must still run (an
	// objection in its appeal window or appeal) has lost it: flagged.
	ProblemHeldLost = "held_workflow_lost"
)

// Execution is what the engine says about a workflow.
type Execution struct {
	Status    string
	CloseTime time.Time
}

// Engine describes workflows; TemporalEngine is the real one.
type Engine interface {
	// Describe says what the engine knows of workflowID's latest run.
	Describe(ctx context.Context, workflowID string) (Execution, error)
	// CountRunning answers how many of the workflows among ids the
	// engine's visibility store shows running.
	CountRunning(ctx context.Context, ids []string) (int, error)
	// ListRunning answers one page of the workflows among ids that the
	// engine's visibility store shows running, and the next page's token
	// (nil: no more).
	ListRunning(ctx context.Context, ids []string, page []byte) (running []string, next []byte, err error)
}

// Reconciler compares and repairs.
type Reconciler struct {
	Pool   *pgxpool.Pool
	Engine Engine
}

// Run is a reconciliation run and its counters.
type Run struct {
	RunID       string     `json:"run_id"`
	Trigger     string     `json:"trigger"`
	RequestedBy string     `json:"requested_by,omitempty"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	Checked     int        `json:"checked"`
	Repaired    int        `json:"repaired"`
	Flagged     int        `json:"flagged"`
	// Listed is how many open cases' workflows the engine's visibility
	// list showed running (not described); Described how many workflows
	// were described one by one (those not listed).
	Listed    int `json:"listed"`
	Described int `json:"described"`
	// Held is how many of the checked cases are closed rows whose workflow
	// must still run (a decided objection in its appeal window or appeal);
	// HeldFlagged how many of them were flagged: their workflow is gone.
	Held        int `json:"held"`
	HeldFlagged int `json:"held_flagged"`
}

// Batch is the result of one batch of cases.
type Batch struct {
	Checked   int `json:"checked"`
	Repaired  int `json:"repaired"`
	Flagged   int `json:"flagged"`
	Listed    int `json:"listed,omitempty"`
	Described int `json:"described,omitempty"`
	// Held are the closed rows still waiting on their workflow among the
	// checked, HeldFlagged those of them flagged (workflow gone).
	Held        int    `json:"held,omitempty"`
	HeldFlagged int    `json:"held_flagged,omitempty"`
	Next        string `json:"next"`
	Done        bool   `json:"done"`
	// ListError is why the visibility list failed ("" when it answered):
	// every case of the batch was then described. CountError is why the
	// count failed (the list was asked instead).
	ListError  string `json:"list_error,omitempty"`
	CountError string `json:"count_error,omitempty"`
}

// Begin records the run once.
func (r *Reconciler) Begin(ctx context.Context, runID, trigger, by string) error {
	_, err := r.Pool.Exec(ctx, `INSERT INTO reconcile_runs (run_id, trigger, requested_by, cases_cursor) VALUES ($1,$2,$3,'') ON CONFLICT DO NOTHING`,
		runID, trigger, by)
	return err
}

type openCase struct {
	caseNo, kind, workflowID string
	recordID                 int64
	// status and stage of the row when read: a row not open is held (its
	// stage says the workflow must still run).
	status, stage string
}

func (c openCase) held() bool { return c.status != "open" }

// heldCases is the walk's condition: the rows whose workflow must be
// running (every open row; a closed row whose stage is not finished) and
// that are not flagged yet. Spelled as migration 00128's partial index
// cases_reconcile_keyset, which serves it.
const heldCases = `workflow_lost_at IS NULL AND (status = 'open' OR stage <> 'finished')`

// Cases checks the cases whose workflow must be running (open rows, and
// closed rows still waiting on their workflow: the package doc) after case
// number after, at most size, and repairs or flags each whose workflow no
// longer runs: the engine's visibility says which of them run (a count,
// then a list if some do not), and only the others are described (the
// package doc says why the describe decides). beat, if not nil, is called
// as the batch progresses (the activity heartbeats). A batch retried after
// its counters were recorded (the run's cursor is past after) checks
// nothing again: it answers the recorded cursor.
func (r *Reconciler) Cases(ctx context.Context, runID, after string, size int, beat func()) (Batch, error) {
	if beat == nil {
		beat = func() {}
	}
	var recorded *string
	if err := r.Pool.QueryRow(ctx, `SELECT cases_cursor FROM reconcile_runs WHERE run_id = $1`, runID).Scan(&recorded); err != nil &&
		!errors.Is(err, pgx.ErrNoRows) {
		return Batch{}, err
	}
	if recorded != nil && *recorded > after {
		// Settling removes rows from the walk (closed, or flagged): the
		// same batch read again would reach past its first end and count
		// cases twice. Go on from where the recorded batch ended.
		return Batch{Next: *recorded}, nil
	}
	rows, err := r.Pool.Query(ctx, `SELECT case_no, kind, workflow_id, record_id, status, stage FROM cases
		WHERE `+heldCases+` AND case_no > $1 ORDER BY case_no LIMIT $2`, after, size)
	if err != nil {
		return Batch{}, err
	}
	open, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (openCase, error) {
		var c openCase
		err := row.Scan(&c.caseNo, &c.kind, &c.workflowID, &c.recordID, &c.status, &c.stage)
		return c, err
	})
	if err != nil {
		return Batch{}, err
	}
	b := Batch{Next: after, Done: len(open) < size}
	running, err := r.listRunning(ctx, &b, open, beat)
	if err != nil {
		if ctx.Err() != nil {
			return b, err
		}
		// Visibility did not answer: describe every case of the batch.
		b.ListError = err.Error()
		running = nil
	}
	for _, c := range open {
		b.Next = c.caseNo
		b.Checked++
		if c.held() {
			b.Held++
		}
		if running[c.workflowID] {
			b.Listed++
			continue
		}
		b.Described++
		ex, err := r.Engine.Describe(ctx, c.workflowID)
		beat()
		if err != nil {
			return b, fmt.Errorf("describe %s: %w", c.workflowID, err)
		}
		if ex.Status == Running {
			continue
		}
		var action string
		if c.held() {
			action, err = r.flagHeld(ctx, runID, c, ex)
		} else {
			action, err = r.settle(ctx, runID, c, ex)
		}
		if err != nil {
			return b, fmt.Errorf("reconcile %s: %w", c.caseNo, err)
		}
		switch action {
		case Repaired:
			b.Repaired++
		case Flagged:
			b.Flagged++
			if c.held() {
				b.HeldFlagged++
			}
		}
	}
	// Counted once per batch: a retry of a batch whose counters were
	// already recorded (the cursor passed its last case) adds nothing. A
	// run begun before the cursor was kept (NULL) counts as before.
	_, err = r.Pool.Exec(ctx, `UPDATE reconcile_runs SET checked = checked + $2, repaired = repaired + $3, flagged = flagged + $4,
		listed = listed + $5, described = described + $6, cases_cursor = $7, held = held + $8, held_flagged = held_flagged + $9
		WHERE run_id = $1 AND (cases_cursor IS NULL OR cases_cursor < $7)`,
		runID, b.Checked, b.Repaired, b.Flagged, b.Listed, b.Described, b.Next, b.Held, b.HeldFlagged)
	return b, err
}

// flagHeld handles one closed case whose workflow must still run but does
// not, in one transaction: the case is closed already and its outcome
// stands, so nothing of it is undone or closed; what is lost is what the
// workflow would still have done (receive an appeal, end the window, decide
// the appeal and issue its letter). A person decides: the case is marked
// (cases.workflow_lost_at: not walked again, and the API answers a step on
// it with workflow-lost), and a finding, a case event and a notice in the
// supervisors' inbox say what is lost.
// An operator may bring the workflow back (Temporal's workflow reset): the
// mark is cleared when the case's page finds it running again, or when the
// workflow writes its row.
// It returns Flagged, or "" when the row changed meanwhile (finished,
// flagged by an earlier attempt, open again).
func (r *Reconciler) flagHeld(ctx context.Context, runID string, c openCase, ex Execution) (string, error) {
	var action string
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		var lost bool
		if err := tx.QueryRow(ctx, `SELECT status, stage, workflow_lost_at IS NOT NULL FROM cases WHERE case_no = $1 FOR UPDATE`,
			c.caseNo).Scan(&c.status, &c.stage, &lost); err != nil {
			return err
		}
		if !c.held() || c.stage == "finished" || lost {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET workflow_lost_at = now() WHERE case_no = $1`, c.caseNo); err != nil {
			return err
		}
		action = Flagged
		detail := heldDetail(c, ex.Status)
		if err := r.finding(ctx, tx, runID, c, ex, ProblemHeldLost, Flagged, detail); err != nil {
			return err
		}
		return notifySupervisors(ctx, tx, runID, c.caseNo, "对账：案件 "+c.caseNo+" "+detail, heldDetailEN(c, ex.Status))
	})
	return action, err
}

// notifySupervisors tells the supervisors in their inbox of a case the
// reconciler flagged, once per case and run.
func notifySupervisors(ctx context.Context, tx pgx.Tx, runID, caseNo, zh, en string) error {
	_, err := tx.Exec(ctx, `INSERT INTO notifications (dedup_key, case_no, party, kind, message, message_en)
		VALUES ($1, $2, 'supervisor', 'reconcile.workflow_lost', $3, $4) ON CONFLICT (dedup_key) DO NOTHING`,
		caseNo+"/reconcile/"+runID+"/workflow-lost", caseNo, zh, en)
	return err
}

// heldDetail says, in the words a supervisor reads on the case, what a
// held case's lost workflow can no longer do.
func heldDetail(c openCase, status string) string {
	gone := "工作流已" + statusWords(status)
	switch {
	case c.kind == "objection" && c.stage == "closed":
		return "案件已书面答复，答复后的期限（申诉期或仍有异议期）尚未届满，但其" + gone +
			"：期限内提出的申诉或异议无法由系统受理，期满也不会自动办结；请核查并决定处理方式（如以工作流引擎的 reset 恢复工作流，或线下办理）"
	case c.kind == "objection" && c.stage == "appeal":
		return "申诉审查中，但案件的" + gone + "：申诉决定无法由系统作出和送达；请核查并决定处理方式（如以工作流引擎的 reset 恢复工作流，或线下办理）"
	}
	return "案件已关闭，但其工作流在「" + c.stage + "」阶段仍应运行，现" + gone + "：后续事项无法由系统办理；请核查并决定处理方式"
}

// listRunning asks the engine's visibility which of the batch's workflows
// run: a count first (when all run, that is the answer), then the list,
// page after page until every one is found or no page is left. A failed
// count is not the end: the list is asked (the count's error is said in
// the batch).
func (r *Reconciler) listRunning(ctx context.Context, b *Batch, open []openCase, beat func()) (map[string]bool, error) {
	if len(open) == 0 {
		return nil, nil
	}
	ids := make([]string, len(open))
	running := make(map[string]bool, len(ids))
	for i, c := range open {
		ids[i] = c.workflowID
	}
	n, err := r.Engine.CountRunning(ctx, ids)
	beat()
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, err
	case err != nil:
		b.CountError = err.Error()
	case n >= len(ids):
		for _, id := range ids {
			running[id] = true
		}
		return running, nil
	}
	var page []byte
	for {
		got, next, err := r.Engine.ListRunning(ctx, ids, page)
		beat()
		if err != nil {
			return nil, fmt.Errorf("list running workflows: %w", err)
		}
		for _, id := range got {
			running[id] = true
		}
		// A workflow ID runs at most once: when all are found no page can
		// add any.
		if len(next) == 0 || len(running) >= len(ids) {
			return running, nil
		}
		page = next
	}
}

// settle handles one case whose workflow is not running, in one
// transaction; it returns the action taken ("" when the row was closed
// meanwhile, by the workflow itself or an earlier attempt).
func (r *Reconciler) settle(ctx context.Context, runID string, c openCase, ex Execution) (string, error) {
	var action string
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		var status string
		var marked bool
		if err := tx.QueryRow(ctx, `SELECT status, workflow_lost_at IS NOT NULL FROM cases WHERE case_no = $1 FOR UPDATE`, c.caseNo).
			Scan(&status, &marked); err != nil {
			return err
		}
		if status != "open" || marked {
			return nil
		}
		// flag leaves the case to a person, once: marked, it is not walked
		// again (a step on it answers workflow-lost).
		flag := func(problem, detail, detailEN string) error {
			action = Flagged
			if _, err := tx.Exec(ctx, `UPDATE cases SET workflow_lost_at = now() WHERE case_no = $1`, c.caseNo); err != nil {
				return err
			}
			if err := r.finding(ctx, tx, runID, c, ex, problem, Flagged, detail); err != nil {
				return err
			}
			return notifySupervisors(ctx, tx, runID, c.caseNo, "对账：案件 "+c.caseNo+" "+detail, detailEN)
		}
		if ex.Status == Completed || ex.Status == Continued {
			// A completed workflow wrote its last row before completing; an
			// open row means something was lost: a person looks.
			return flag(ProblemCompletedOpen, "工作流已正常结束但案件仍为办理中，请核查",
				"Reconciliation: the workflow of case "+c.caseNo+" has completed but the case is still open; check it.")
		}
		if c.kind == "listing" {
			var ls string
			if err := tx.QueryRow(ctx, `SELECT status FROM listings WHERE proposal_no = $1 FOR UPDATE`, c.caseNo).Scan(&ls); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if ls == "listed" {
				return flag(ProblemListedOrphan,
					"名单条目仍在公示，但其工作流已"+statusWords(ex.Status)+"：期满移出不会自动进行，请决定移出或重新启动",
					"Reconciliation: the list entry of case "+c.caseNo+" is still published but its workflow "+statusWordsEN(ex.Status)+
						": its removal when the period ends will not happen by itself; decide to remove it or bring the workflow back.")
			}
			if _, err := tx.Exec(ctx, `UPDATE listings SET status = 'not_listed', stage = 'finished',
				removal_reason = $2, updated_at = now() WHERE proposal_no = $1 AND status IN ('proposed', 'noticed')`,
				c.caseNo, "workflow "+ex.Status); err != nil {
				return err
			}
		}
		closed := ex.CloseTime
		if closed.IsZero() {
			closed = time.Now()
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET status = 'closed', stage = 'finished', outcome = $2, closed_at = $3,
			next_due_at = NULL, next_rule = '', updated_at = now() WHERE case_no = $1`, c.caseNo, ex.Status, closed); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE case_deadlines SET state = 'cancelled', settled_at = now(), reason = $2
			WHERE case_no = $1 AND state = 'pending'`, c.caseNo, "workflow "+ex.Status+"; closed by the reconciler"); err != nil {
			return err
		}
		switch c.kind {
		case "objection":
			if err := freeRecord(ctx, tx, c.recordID, "异议案件 "+c.caseNo+" 的工作流已"+statusWords(ex.Status)); err != nil {
				return err
			}
		case "repair":
			if _, err := tx.Exec(ctx, `UPDATE repair_applications SET status = 'closed', outcome = $2, closed_at = coalesce(closed_at, now())
				WHERE application_no = $1 AND status = 'open'`, c.caseNo, ex.Status); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE repair_publicity SET status = 'ended' WHERE application_no = $1 AND status = 'running'`, c.caseNo); err != nil {
				return err
			}
		}
		action = Repaired
		return r.finding(ctx, tx, runID, c, ex, ProblemEnded, Repaired,
			"工作流已"+statusWords(ex.Status)+"，案件已关闭，期限已取消，相关信息已恢复")
	})
	return action, err
}

// freeRecord restores a record labelled under objection to its status
// before the label, unless another open objection still labels it.
func freeRecord(ctx context.Context, tx pgx.Tx, recordID int64, reason string) error {
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM records WHERE id = $1 FOR UPDATE`, recordID).Scan(&status); err != nil {
		return err
	}
	if status != "under_objection" && status != "suspended" {
		return nil
	}
	var others bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM record_labels l JOIN cases c USING (case_no)
		WHERE l.record_id = $1 AND c.status = 'open')`, recordID).Scan(&others); err != nil || others {
		return err
	}
	prior := "active"
	err := tx.QueryRow(ctx, `SELECT prior_status FROM record_labels WHERE record_id = $1 ORDER BY created_at, case_no LIMIT 1`, recordID).Scan(&prior)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	switch prior {
	case "active", "corrected", "repaired", "archived":
	default:
		// Labelled from under objection or suspended, or the stored prior
		// status is itself broken data: the record is active.
		prior = "active"
	}
	if _, err := tx.Exec(ctx, `UPDATE records SET status = $2, updated_at = now() WHERE id = $1`, recordID, prior); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.System, audit.Event{Action: "record.label_removed", ObjectType: "record",
		ObjectID: fmt.Sprint(recordID), Reason: reason, Data: map[string]any{"status": prior, "by": "reconciler"}})
}

// finding stores a finding and writes it to the case's events.
func (r *Reconciler) finding(ctx context.Context, tx pgx.Tx, runID string, c openCase, ex Execution, problem, action, detail string) error {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO reconcile_findings (run_id, case_no, record_id, workflow_id, engine_status, problem, action, detail)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING RETURNING id`,
		runID, c.caseNo, c.recordID, c.workflowID, ex.Status, problem, action, detail).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_events (case_no, seq, at, actor, role, action, reason, data)
		VALUES ($1, $2, now(), 'reconciler', 'system', $3, $4, $5) ON CONFLICT DO NOTHING`,
		c.caseNo, EventSeqBase+id, "case.reconciled."+action, detail,
		map[string]any{"run_id": runID, "problem": problem, "engine_status": ex.Status, "workflow_id": c.workflowID})
	return err
}

// Records frees the records left under objection (or suspended by an
// objection) with no open case labelling them.
func (r *Reconciler) Records(ctx context.Context, runID string) (Batch, error) {
	rows, err := r.Pool.Query(ctx, `SELECT r.id FROM records r
		WHERE r.status IN ('under_objection', 'suspended')
		  AND NOT EXISTS (SELECT 1 FROM record_labels l JOIN cases c USING (case_no) WHERE l.record_id = r.id AND c.status = 'open')
		ORDER BY r.id LIMIT 1000`)
	if err != nil {
		return Batch{}, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return Batch{}, err
	}
	b := Batch{Done: true}
	for _, id := range ids {
		b.Checked++
		err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
			var labelled bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM record_labels WHERE record_id = $1)`, id).Scan(&labelled); err != nil {
				return err
			}
			action, detail := Repaired, "记录处于异议标注状态但无办理中的异议案件，已恢复"
			if labelled {
				if err := freeRecord(ctx, tx, id, "无办理中的异议案件（对账）"); err != nil {
					return err
				}
				b.Repaired++
			} else {
				// Suspended or labelled by no case at all: a person decides.
				action, detail = Flagged, "记录处于异议标注或暂停公开状态，但从无异议案件标注：请核查"
				b.Flagged++
			}
			_, err := tx.Exec(ctx, `INSERT INTO reconcile_findings (run_id, record_id, problem, action, detail)
				VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`, runID, id, ProblemRecordLabel, action, detail)
			return err
		})
		if err != nil {
			return b, fmt.Errorf("record %d: %w", id, err)
		}
	}
	_, err = r.Pool.Exec(ctx, `UPDATE reconcile_runs SET checked = checked + $2, repaired = repaired + $3, flagged = flagged + $4
		WHERE run_id = $1`, runID, b.Checked, b.Repaired, b.Flagged)
	return b, err
}

// Finish marks the run finished and returns it. Repaired and flagged are
// counted from the run's findings (one per case and problem, whatever the
// retries), so the summary is exact.
func (r *Reconciler) Finish(ctx context.Context, runID string) (Run, error) {
	var run Run
	err := r.Pool.QueryRow(ctx, `UPDATE reconcile_runs SET finished_at = coalesce(finished_at, now()),
			repaired = (SELECT count(*) FROM reconcile_findings WHERE run_id = $1 AND action = 'repaired'),
			flagged = (SELECT count(*) FROM reconcile_findings WHERE run_id = $1 AND action = 'flagged'),
			held_flagged = (SELECT count(*) FROM reconcile_findings WHERE run_id = $1 AND problem = '`+ProblemHeldLost+`')
		WHERE run_id = $1
		RETURNING run_id, trigger, requested_by, started_at, finished_at, checked, repaired, flagged, listed, described,
			held, held_flagged`, runID).
		Scan(&run.RunID, &run.Trigger, &run.RequestedBy, &run.StartedAt, &run.FinishedAt, &run.Checked, &run.Repaired, &run.Flagged,
			&run.Listed, &run.Described, &run.Held, &run.HeldFlagged)
	return run, err
}

// Finding is one mismatch as supervisors see it.
type Finding struct {
	ID           int64     `json:"id"`
	RunID        string    `json:"run_id"`
	CaseNo       string    `json:"case_no,omitempty"`
	RecordID     *int64    `json:"record_id,omitempty"`
	WorkflowID   string    `json:"workflow_id,omitempty"`
	EngineStatus string    `json:"engine_status,omitempty"`
	Problem      string    `json:"problem"`
	Action       string    `json:"action"`
	Detail       string    `json:"detail"`
	At           time.Time `json:"at"`
}

// Findings lists findings newest first: of one run, or the flagged ones
// (the board), at most limit.
func (r *Reconciler) Findings(ctx context.Context, runID string, flaggedOnly bool, limit int) ([]Finding, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := r.Pool.Query(ctx, `SELECT id, run_id, coalesce(case_no, ''), record_id, workflow_id, engine_status, problem, action, detail, at
		FROM reconcile_findings WHERE ($1 = '' OR run_id = $1) AND (NOT $2 OR action = 'flagged') ORDER BY id DESC LIMIT $3`,
		runID, flaggedOnly, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Finding, error) {
		var f Finding
		err := row.Scan(&f.ID, &f.RunID, &f.CaseNo, &f.RecordID, &f.WorkflowID, &f.EngineStatus, &f.Problem, &f.Action, &f.Detail, &f.At)
		return f, err
	})
}

// heldDetailEN is heldDetail in English, for the supervisors' inbox.
func heldDetailEN(c openCase, status string) string {
	gone := "its workflow " + statusWordsEN(status)
	switch {
	case c.kind == "objection" && c.stage == "closed":
		return "Reconciliation: case " + c.caseNo + " was replied to in writing and the window after the reply (appeal or continued disagreement) is still running, but " +
			gone + ": an appeal or disagreement in the window cannot be received by the system, and the window will not end by itself. Check and decide (bring the workflow back with the engine's reset, or handle it off-line)."
	case c.kind == "objection" && c.stage == "appeal":
		return "Reconciliation: the appeal in case " + c.caseNo + " is being examined, but " + gone +
			": the appeal decision cannot be made and served by the system. Check and decide (bring the workflow back with the engine's reset, or handle it off-line)."
	}
	return "Reconciliation: case " + c.caseNo + " is closed but its workflow should still run at the stage " + c.stage + ", and " + gone +
		": later steps cannot be taken in the system. Check and decide."
}

func statusWordsEN(s string) string {
	switch s {
	case Terminated:
		return "was terminated"
	case Failed:
		return "failed"
	case Canceled:
		return "was cancelled"
	case TimedOut:
		return "timed out"
	case NotFound:
		return "is gone"
	}
	return "has ended"
}

func statusWords(s string) string {
	switch s {
	case Terminated:
		return "被终止"
	case Failed:
		return "失败"
	case Canceled:
		return "被取消"
	case TimedOut:
		return "超时"
	case NotFound:
		return "不存在"
	}
	return "结束"
}
